using System.CommandLine;
using GitKsplice.Live;
using GitKsplice.Reporting;
using GitKsplice.Updates;

namespace GitKsplice.Cli.Commands;

/// <summary>git ksplice apply: put an update's livepatch module on a running kernel, here or over ssh, after checking that kernel.</summary>
internal static class ApplyCommand
{
    public static Command Build()
    {
        var update = new Argument<string>("update") { Description = "The update: its id, or the path of its tarball" };
        var config = new Option<string?>("--config") { Description = "ORIG_CONFIG: the directory with the System.map of the update's kernel (default <tree>/ksplice)", HelpName = "dir" };
        var live = new LiveCommand("Run the checks only; load nothing");
        var command = live.Build("apply", "Apply an update to a running kernel (this machine, or a host over ssh): check it is the update's kernel, load, wait for the transition",
            update, config);
        command.Runs((context, parse) => live.Run(context, parse, run =>
        {
            var operand = parse.GetValue(update)!;
            var resolved = run.Updates.Resolve(LiveUpdates.IsTarballPath(operand) ? context.FullPath(operand) : operand, context.FullPathOrNull(parse.GetValue(config)));
            return run.Updates.Apply(resolved, run.Connection, run.Limit, run.DryRun, run.Status, run.Cancel);
        }, ApplyJson.Of, KspliceJsonContext.Relaxed.ApplyJson, Print, r => r.Failure));
        return command;
    }

    private static void Print(TextWriter stdout, ApplyReport r, Colour colour)
    {
        foreach (var check in r.Checks)
            stdout.WriteLine($"{(check.Passed ? colour.Good("ok") : colour.Bad("refused"))} {check.Name}: {check.Detail}");
        if (r.DryRun && r.Failure == null)
        {
            stdout.WriteLine($"update {r.Id} can be applied on {r.Host} ({r.Release}); nothing was loaded (--dry-run)");
            return;
        }
        if (r.Job is not { } job) return;
        if (r.Result == LiveResult.Applied)
        {
            var transition = job.TransitionSeconds is { } s ? $", transition completed in {s:0.00} s" : "";
            stdout.WriteLine($"{colour.Good("applied")} update {r.Id} ({r.Module}) on {r.Host} ({r.Release}){transition}");
            foreach (var f in r.Functions) stdout.WriteLine($"  live: {f.Name}{(f.Sympos > 1 ? $",{f.Sympos}" : "")}{(f.Object != "vmlinux" ? $" [{f.Object}]" : "")}");
        }
        else
        {
            stdout.WriteLine($"{colour.Bad(LiveRecord.Results[r.Result!.Value])} update {r.Id} ({r.Module}) on {r.Host}");
            foreach (var line in job.Output) stdout.WriteLine($"  {line}");
            LiveOptions.PrintBlocking(stdout, job);
        }
    }
}

/// <summary>apply --json: the update, the host, each check, how it ended and what is live.</summary>
internal sealed record ApplyJson(UpdateId Id, string Module, string Host, string Release, bool DryRun, IReadOnlyList<ApplyJson.CheckResult> Checks,
    LiveResult? Result, JobJson? Job, IReadOnlyList<FunctionJson> Functions, string? Failure, double Seconds)
{
    public static ApplyJson Of(ApplyReport r) => new(r.Id, r.Module, r.Host, r.Release, r.DryRun,
        r.Checks.Select(c => new CheckResult(c.Name, c.Passed, c.Detail)).ToList(), r.Result, r.Job is { } job ? JobJson.Of(job) : null,
        FunctionJson.Of(r.Functions), r.Failure, Math.Round(r.Elapsed.TotalSeconds, 2));

    internal sealed record CheckResult(string Name, bool Passed, string Detail);
}
