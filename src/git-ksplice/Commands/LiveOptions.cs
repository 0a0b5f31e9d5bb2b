using System.CommandLine;
using System.Text.Json.Nodes;
using GitKsplice.Live;
using GitKsplice.Reporting;
using GitKsplice.Settings;
using GitKsplice.Transport;

namespace GitKsplice.Cli.Commands;

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
        context.Config.Get(ConfigKeys.KspliceSshCommand),
        context.Config.Get(ConfigKeys.RemoteSudo));

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
