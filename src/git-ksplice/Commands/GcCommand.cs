using System.CommandLine;
using GitKsplice.Build;
using GitKsplice.Git;
using GitKsplice.Reporting;
using GitKsplice.Settings;
using GitKsplice.Updates;

namespace GitKsplice.Cli.Commands;

/// <summary>git ksplice gc: remove stale build trees, logs, manifests and hook runs; recorded updates stay.</summary>
internal static class GcCommand
{
    public static Command Build()
    {
        var maxAge = new Option<string?>("--max-age")
        {
            Description = $"Remove what was last used longer ago than this (e.g. 30.days, 2.weeks, now, never; default git config {KspliceConfigKeys.GcMaxAge.Name}, else {KspliceConfigKeys.GcMaxAge.Default})",
        };
        var dryRun = new Option<bool>("--dry-run", "-n") { Description = "Only show what would be removed" };
        var json = CommonOptions.Json();
        var command = new Command("gc", "Remove stale build trees, build logs, update manifests and hook runs under the git dir (recorded updates stay)")
            { maxAge, dryRun, json };
        command.Runs((context, parse) =>
        {
            var repository = context.Repository;
            new UpdateStore(repository).RecoverInterrupted(context.Output);
            var report = new StateGc(repository).Run(StateGc.MaxAge(repository, parse.GetValue(maxAge)), parse.GetValue(dryRun));
            if (parse.GetValue(json))
            {
                context.WriteJson(new GcJson(report.DryRun, report.Cutoff == DateTimeOffset.MinValue ? null : report.Cutoff, report.Freed,
                    report.Removed.Select(i => new GcJson.Removal(i.Kind, i.Path, i.Bytes, i.LastUsed, i.Reason)).ToList(), report.Skipped),
                    KspliceJsonContext.Relaxed.GcJson);
                return ExitCodes.Success;
            }
            var verb = report.DryRun ? "would remove" : "removed";
            foreach (var item in report.Removed)
                context.Out.WriteLine($"{verb} {item.Kind} {Path.GetRelativePath(repository.StateDir, item.Path)} ({StateDiskUsage.Human(item.Bytes)}): {item.Reason}");
            foreach (var reason in report.Skipped)
                context.Out.WriteLine($"kept {reason}");
            context.Out.WriteLine(report.Removed.Count == 0
                ? "nothing to remove"
                : $"{(report.DryRun ? "would free" : "freed")} {StateDiskUsage.Human(report.Freed)} in {report.Removed.Count} item(s); recorded updates (refs and notes) are kept");
            return ExitCodes.Success;
        });
        return command;
    }
}

/// <summary>gc --json: what was (or with --dry-run would be) removed, and what was kept and why.</summary>
internal sealed record GcJson(bool DryRun, DateTimeOffset? Cutoff, long FreedBytes, IReadOnlyList<GcJson.Removal> Removed, IReadOnlyList<string> Skipped)
{
    internal sealed record Removal(string Kind, string Path, long Bytes, DateTimeOffset LastUsed, string Reason);
}
