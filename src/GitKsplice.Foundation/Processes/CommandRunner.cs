using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;

namespace GitKsplice.Processes;

public sealed record CommandResult(int ExitCode, string StdOut, string StdErr)
{
    public bool Succeeded => ExitCode == 0;
}

/// <summary>
/// Runs external programs (git, make, patch, ssh) with arguments passed as a list, never through a shell. Every
/// program is started here: a cancelled run kills its program's whole process tree, and the programs still
/// running when the process must exit are known (<see cref="ChildProcesses"/>).
/// </summary>
public static class CommandRunner
{
    public static CommandResult Run(string workDir, string file, IEnumerable<string> args,
        IReadOnlyDictionary<string, string?>? env = null, string? stdin = null, CancellationToken cancel = default)
    {
        var (exit, stdout, stderr) = Capture(workDir, file, args, env, stdin, cancel,
            s => new StreamReader(s, Encoding.UTF8).ReadToEndAsync(cancel));
        return new CommandResult(exit, stdout, stderr);
    }

    /// <summary>Like <see cref="Run"/>, with stdout kept as bytes: for plumbing that prints object contents by byte count.</summary>
    public static (int ExitCode, byte[] StdOut, string StdErr) RunBinary(string workDir, string file, IEnumerable<string> args,
        IReadOnlyDictionary<string, string?>? env = null, string? stdin = null, CancellationToken cancel = default) =>
        Capture(workDir, file, args, env, stdin, cancel, async s =>
        {
            var bytes = new MemoryStream();
            await s.CopyToAsync(bytes, cancel);
            return bytes.ToArray();
        });

    /// <summary>Runs a program to its end with its standard output read by <paramref name="readStdout"/> and its standard error as text.</summary>
    private static (int ExitCode, T StdOut, string StdErr) Capture<T>(string workDir, string file, IEnumerable<string> args,
        IReadOnlyDictionary<string, string?>? env, string? stdin, CancellationToken cancel, Func<Stream, Task<T>> readStdout)
    {
        var psi = StartInfo(workDir, file, args, env);
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        psi.RedirectStandardInput = stdin != null;
        var started = Stopwatch.GetTimestamp();
        using var p = Start(psi);
        var stdout = readStdout(p.StandardOutput.BaseStream);
        var stderr = p.StandardError.ReadToEndAsync(cancel);
        if (stdin != null)
        {
            try
            {
                p.StandardInput.Write(stdin);
                p.StandardInput.Close();
            }
            // The program exited without reading all of it; its exit status says why.
            catch (IOException) { }
        }
        WaitOrKill(p, cancel);
        Reporting.PerformanceTrace.Ran(file, psi.ArgumentList, Stopwatch.GetElapsedTime(started));
        return (p.ExitCode, stdout.GetAwaiter().GetResult(), stderr.GetAwaiter().GetResult());
    }

    /// <summary>
    /// Runs a program with both output streams appended to a log file; returns the exit code.
    /// <paramref name="whileRunning"/> runs on this thread once the program has started.
    /// </summary>
    public static int RunLogged(string workDir, string file, IEnumerable<string> args, string logPath,
        IReadOnlyDictionary<string, string?>? env = null, Action<string>? echo = null, Action? whileRunning = null,
        CancellationToken cancel = default)
    {
        var psi = StartInfo(workDir, file, args, env);
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        using var log = new StreamWriter(logPath, append: true, Encoding.UTF8) { AutoFlush = true };
        var gate = new object();
        void Line(string? line)
        {
            if (line == null) return;
            lock (gate) { log.WriteLine(line); echo?.Invoke(line); }
        }
        var started = Stopwatch.GetTimestamp();
        using var p = Start(psi);
        p.OutputDataReceived += (_, e) => Line(e.Data);
        p.ErrorDataReceived += (_, e) => Line(e.Data);
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        try { whileRunning?.Invoke(); }
        catch
        {
            Kill(p);
            throw;
        }
        WaitOrKill(p, cancel);
        p.WaitForExit(); // drains the asynchronous readers
        Reporting.PerformanceTrace.Ran(file, psi.ArgumentList, Stopwatch.GetElapsedTime(started));
        return p.ExitCode;
    }

    /// <summary>
    /// Starts a program that talks over its standard streams (all three redirected), for a caller that sends
    /// its input later; the caller owns and disposes the process.
    /// </summary>
    public static Process Spawn(string workDir, string file, IEnumerable<string> args, IReadOnlyDictionary<string, string?>? env = null)
    {
        var psi = StartInfo(workDir, file, args, env);
        psi.RedirectStandardInput = true;
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        return Start(psi);
    }

    /// <summary>
    /// Starts a program described by the caller (a conversation over its streams, as with a target's shell):
    /// a program that cannot start is a <see cref="Reporting.UserError"/> naming it, and the program is killed with
    /// its children when <paramref name="cancel"/> fires or the process exits on a signal. The caller owns
    /// and disposes the process.
    /// </summary>
    public static Process Start(ProcessStartInfo psi, CancellationToken cancel = default)
    {
        psi.UseShellExecute = false;
        Process p;
        try { p = Process.Start(psi) ?? throw new Reporting.UserError($"could not start '{psi.FileName}'"); }
        catch (System.ComponentModel.Win32Exception e) { throw new Reporting.UserError($"could not run '{psi.FileName}': {e.Message}"); }
        ChildProcesses.Add(p);
        if (cancel.CanBeCanceled)
        {
            var registration = cancel.Register(() => Kill(p));
            p.Exited += (_, _) => registration.Dispose();
        }
        return p;
    }

    private static ProcessStartInfo StartInfo(string workDir, string file, IEnumerable<string> args,
        IReadOnlyDictionary<string, string?>? env)
    {
        var psi = new ProcessStartInfo(file) { WorkingDirectory = workDir, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (env != null)
            foreach (var (k, v) in env)
                if (v == null) psi.Environment.Remove(k); else psi.Environment[k] = v;
        return psi;
    }

    private static void WaitOrKill(Process p, CancellationToken cancel)
    {
        try { p.WaitForExitAsync(cancel).GetAwaiter().GetResult(); }
        catch (OperationCanceledException)
        {
            Kill(p);
            throw;
        }
    }

    internal static void Kill(Process p) => ProcessTree.Stop([p]);
}

/// <summary>
/// The programs this process started that are still running: the command-line layer kills them when the
/// process exits on a signal before the command could stop them itself.
/// </summary>
public static class ChildProcesses
{
    private static readonly ConcurrentDictionary<Process, byte> Running = new();

    internal static void Add(Process p)
    {
        p.EnableRaisingEvents = true;
        p.Exited += (_, _) => Running.TryRemove(p, out _);
        Running[p] = 0;
        if (p.HasExited) Running.TryRemove(p, out _);
    }

    /// <summary>Stops every program still running, with its children.</summary>
    public static void KillAll()
    {
        ProcessTree.Stop([.. Running.Keys]);
    }

    private static int _cleaningUp;

    /// <summary>
    /// Whether a clean-up that must run to its end is in progress (undoing a step on a target, recording the
    /// outcome): a command waiting for one is working, not blocked, though its thread sleeps.
    /// </summary>
    public static bool CleaningUp => Volatile.Read(ref _cleaningUp) > 0;

    /// <summary>Marks a clean-up in progress until disposed.</summary>
    public static IDisposable CleanUp()
    {
        Interlocked.Increment(ref _cleaningUp);
        return new CleanUpScope();
    }

    private sealed class CleanUpScope : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0) Interlocked.Decrement(ref _cleaningUp);
        }
    }
}
