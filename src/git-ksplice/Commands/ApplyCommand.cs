using System.CommandLine;
using System.Text.Json.Nodes;
using GitKsplice.Live;
using GitKsplice.Reporting;

namespace GitKsplice.Cli.Commands;

/// <summary>git ksplice apply: put an update's livepatch module on a running kernel, here or over ssh, after checking that kernel.</summary>
internal static class ApplyCommand
{
    public static Command Build()
    {
        var update = new Argument<string>("update") { Description = "The update: its id, or the path of its tarball" };
        var host = LiveOptions.Host();
        var config = new Option<string?>("--config") { Description = "ORIG_CONFIG: the directory with the System.map of the update's kernel (default <tree>/ksplice)", HelpName = "dir" };
        var timeout = LiveOptions.Timeout();
        var dryRun = LiveOptions.DryRun("Run the checks only; load nothing");
        var json = CommonOptions.Json();
        var quiet = CommonOptions.Quiet();
        var command = new Command("apply", "Apply an update to a running kernel (this machine, or a host over ssh): check it is the update's kernel, load, wait for the transition")
        {
            update, host, config, timeout, dryRun, json, quiet,
        };
        command.Runs((context, parse) =>
        {
            var output = context.Output;
            var limit = LiveOptions.Seconds(parse, timeout);
            var connection = LiveOptions.Connection(context, parse.GetValue(host));
            var live = new LiveUpdates(context.Repository, output.Info);
            var operand = parse.GetValue(update)!;
            var resolved = live.Resolve(LiveUpdates.IsTarballPath(operand) ? context.FullPathOrNull(operand)! : operand, context.FullPathOrNull(parse.GetValue(config)));
            ApplyReport report;
            try { report = live.Apply(resolved, connection, limit, parse.GetValue(dryRun), output.Status, context.Cancel); }
            finally { output.EndStatus(); }

            if (parse.GetValue(json)) context.WriteJson(Json(report));
            else if (!output.Quiet) Print(context.Out, report, context.Colour);
            if (report.Failure != null) output.Error(report.Failure);
            return report.Succeeded ? ExitCodes.Success : ExitCodes.Error;
        });
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

    private static JsonObject Json(ApplyReport r) => new()
    {
        ["id"] = r.Id,
        ["module"] = r.Module,
        ["host"] = r.Host,
        ["release"] = r.Release,
        ["dryRun"] = r.DryRun,
        ["checks"] = r.Checks.ToJsonArray(c => new JsonObject { ["name"] = c.Name, ["passed"] = c.Passed, ["detail"] = c.Detail }),
        ["result"] = r.Result is { } result ? LiveRecord.Results[result] : null,
        ["job"] = r.Job is { } job ? LiveOptions.Job(job) : null,
        ["functions"] = LiveOptions.Functions(r.Functions),
        ["failure"] = r.Failure,
        ["seconds"] = Math.Round(r.Elapsed.TotalSeconds, 2),
    };
}
