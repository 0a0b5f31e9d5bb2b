using System.Diagnostics;

namespace GitKsplice.Reporting;

/// <summary>
/// GIT_KSPLICE_TRACE_PERFORMANCE, after git's GIT_TRACE_PERFORMANCE: when set to 1 or true, each step of a
/// command and each program it runs is written to standard error with its duration; set to an absolute path,
/// appended to that file. Off (and free) otherwise.
/// </summary>
public static class PerformanceTrace
{
    private static readonly TextWriter? Sink = OpenSink(Environment.GetEnvironmentVariable("GIT_KSPLICE_TRACE_PERFORMANCE"));
    private static readonly Stopwatch Clock = Stopwatch.StartNew();
    private static readonly Lock Gate = new();
    private static double _last;

    /// <summary>Marks the end of a step: the time since the previous mark and since the command started.</summary>
    public static void Step(string what)
    {
        if (Sink == null) return;
        lock (Gate)
        {
            var now = Clock.Elapsed.TotalMilliseconds;
            Sink.WriteLine($"performance: {now,8:0.0} ms  {now - _last,7:0.0} ms  {what}");
            _last = now;
        }
    }

    /// <summary>A program run: how long it took from start to exit.</summary>
    public static void Ran(string file, IEnumerable<string> args, TimeSpan took)
    {
        if (Sink == null) return;
        var line = string.Join(' ', args.Take(4));
        lock (Gate) Sink.WriteLine($"performance: {Clock.Elapsed.TotalMilliseconds,8:0.0} ms  {took.TotalMilliseconds,7:0.0} ms  run {file} {line}");
    }

    private static TextWriter? OpenSink(string? setting) => setting switch
    {
        null or "" or "0" or "false" => null,
        "1" or "2" or "true" => new StreamWriter(Console.OpenStandardError()) { AutoFlush = true },
        _ when Path.IsPathFullyQualified(setting) => new StreamWriter(setting, append: true) { AutoFlush = true },
        _ => null,
    };
}
