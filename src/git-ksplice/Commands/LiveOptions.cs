using System.CommandLine;
using System.Text.Json.Serialization.Metadata;
using GitKsplice.Live;
using GitKsplice.Reporting;
using GitKsplice.Settings;
using GitKsplice.Transport;

namespace GitKsplice.Cli.Commands;

/// <summary>What one run of apply or undo is given: the updates, where and how to reach the host, and its limits.</summary>
internal sealed record LiveRun(LiveUpdates Updates, LiveConnection Connection, TimeSpan Limit, bool DryRun, Action<string> Status, CancellationToken Cancel);

/// <summary>
/// The command line apply and undo share — the host operand, --timeout, --dry-run, --json and -q — and how they
/// run: the step with a live status line, then its report as JSON or text, its failure as an error line.
/// </summary>
internal sealed class LiveCommand(string dryRunDescription)
{
    private readonly Argument<string?> _host = LiveOptions.Host();
    private readonly Option<int> _timeout = LiveOptions.Timeout();
    private readonly Option<bool> _dryRun = LiveOptions.DryRun(dryRunDescription);
    private readonly Option<bool> _json = CommonOptions.Json();
    private readonly Option<bool> _quiet = CommonOptions.Quiet();

    /// <summary>The command: its operand, the host, its own option, then the shared options.</summary>
    public Command Build(string name, string description, Argument<string> operand, Option own) =>
        new(name, description) { operand, _host, own, _timeout, _dryRun, _json, _quiet };

    public bool DryRun(ParseResult parse) => parse.GetValue(_dryRun);

    public int Run<TReport, TJson>(CommandContext context, ParseResult parse, Func<LiveRun, TReport> step,
        Func<TReport, TJson> json, JsonTypeInfo<TJson> jsonType, Action<TextWriter, TReport, Colour> print, Func<TReport, string?> failure)
    {
        var output = context.Output;
        var limit = LiveOptions.Seconds(parse, _timeout);
        var connection = LiveOptions.Connection(context, parse.GetValue(_host));
        var run = new LiveRun(new LiveUpdates(context.Repository, output.Info), connection, limit, parse.GetValue(_dryRun), output.Status, context.Cancel);
        TReport report;
        try { report = step(run); }
        finally { output.EndStatus(); }

        if (parse.GetValue(_json)) context.WriteJson(json(report), jsonType);
        else if (!output.Quiet) print(context.Out, report, context.Colour);
        var why = failure(report);
        if (why != null) output.Error(why);
        return why == null ? ExitCodes.Success : ExitCodes.Error;
    }
}

/// <summary>What apply, undo and view share: the host operand, the transition timeout, and how they reach the host.</summary>
internal static class LiveOptions
{
    public static Argument<string?> Host() => new("host")
    {
        Description = "The target: [user@]host or [IPv6 address], reached with ssh (git config ksplice.sshCommand); this machine when omitted",
        Arity = ArgumentArity.ZeroOrOne,
    };

    public static Option<int> Timeout() => new("--timeout")
    {
        Description = "Seconds a transition may take before it is reversed",
        HelpName = "seconds",
        DefaultValueFactory = _ => 60,
    };

    public static Option<bool> DryRun(string what) => new("--dry-run", "-n") { Description = what };

    public static TimeSpan Seconds(ParseResult parse, Option<int> timeout)
    {
        var seconds = parse.GetValue(timeout);
        return seconds > 0 ? TimeSpan.FromSeconds(seconds) : throw new UserError($"--timeout must be positive, not {seconds}", ExitCodes.Usage);
    }

    public static LiveConnection Connection(CommandContext context, string? host) => new(
        host == null ? HostAddress.ThisMachine : HostAddress.Parse(host),
        context.Config.Get(KspliceConfigKeys.KspliceSshCommand),
        context.Config.Get(KspliceConfigKeys.RemoteSudo));

    /// <summary>The tasks a transition waited for, each with its stack, for the text output.</summary>
    public static void PrintBlocking(TextWriter stdout, JobLog job)
    {
        foreach (var task in job.Blocking)
        {
            stdout.WriteLine($"  blocking: {task.Command} ({task.Tid})");
            foreach (var frame in task.Stack) stdout.WriteLine($"    {frame}");
        }
    }
}

/// <summary>The --json of a job on the target (apply's, each undo's): how long its transition took, the tasks it waited for, its output.</summary>
internal sealed record JobJson(double? TransitionSeconds, IReadOnlyList<JobJson.Blocker> Blocking, IReadOnlyList<string> Output)
{
    public static JobJson Of(JobLog job) =>
        new(job.TransitionSeconds, job.Blocking.Select(t => new Blocker(t.Tid, t.Command, t.Stack)).ToList(), job.Output);

    internal sealed record Blocker(int Tid, string Command, IReadOnlyList<string> Stack);
}

/// <summary>The --json of a patched function (apply's, view's): its object, its name and, for a name vmlinux has more than once, which.</summary>
internal sealed record FunctionJson(string Object, string Function, int Sympos)
{
    public static IReadOnlyList<FunctionJson> Of(IEnumerable<LiveFunction> functions) => functions.Select(f => new FunctionJson(f.Object, f.Name, f.Sympos)).ToList();
}
