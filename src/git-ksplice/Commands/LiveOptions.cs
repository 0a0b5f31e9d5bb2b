using System.CommandLine;
using System.Text.Json.Nodes;
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

    public int Run<TReport>(CommandContext context, ParseResult parse, Func<LiveRun, TReport> step,
        Func<TReport, JsonObject> json, Action<TextWriter, TReport, Colour> print, Func<TReport, string?> failure)
    {
        var output = context.Output;
        var limit = LiveOptions.Seconds(parse, _timeout);
        var connection = LiveOptions.Connection(context, parse.GetValue(_host));
        var run = new LiveRun(new LiveUpdates(context.Repository, output.Info), connection, limit, parse.GetValue(_dryRun), output.Status, context.Cancel);
        TReport report;
        try { report = step(run); }
        finally { output.EndStatus(); }

        if (parse.GetValue(_json)) context.WriteJson(json(report));
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

    public static JsonObject Job(JobLog job) => new()
    {
        ["transitionSeconds"] = job.TransitionSeconds,
        ["blocking"] = job.Blocking.ToJsonArray(t => new JsonObject
        {
            ["tid"] = t.Tid,
            ["command"] = t.Command,
            ["stack"] = t.Stack.ToJsonArray(),
        }),
        ["output"] = job.Output.ToJsonArray(),
    };

    public static JsonArray Functions(IEnumerable<LiveFunction> functions) => functions.ToJsonArray(f => new JsonObject
    {
        ["object"] = f.Object,
        ["function"] = f.Name,
        ["sympos"] = f.Sympos,
    });

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
