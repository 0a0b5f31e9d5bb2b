using System.CommandLine;
using GitKsplice.Build;
using GitKsplice.Git;
using GitKsplice.Hooks;
using GitKsplice.Processes;
using GitKsplice.Reporting;
using GitKsplice.Transport;
using GitKsplice.Updates;

namespace GitKsplice.Cli.Commands;

/// <summary>git ksplice status: the hook's running job, its queue, the last verdicts and where the logs are.</summary>
internal static class StatusCommand
{
    public static Command Build()
    {
        var json = CommonOptions.Json();
        var count = new Option<int>("--count", "-n") { Description = "How many of the last verdicts to show", DefaultValueFactory = _ => 10 };
        var command = new Command("status", "Show the hook's running job (commit, stage, elapsed), the last verdicts and the logs") { json, count };
        command.Runs((context, parse) =>
        {
            if (parse.GetValue(count) < 0) throw new UserError("--count must not be negative", ExitCodes.Usage);
            var repository = context.Repository;
            var report = HookStatusReport.Read(repository, parse.GetValue(count));
            var (diskParts, diskTotal) = StateDiskUsage.Measure(repository);
            var launcher = KspliceSettings.Read(repository).CompilerLauncher is { Count: > 0 } words ? PosixShell.Join(words) : null;
            var lastBuild = LastBuild.Read(repository.Layout.LastBuild);
            var now = DateTimeOffset.UtcNow;
            string Subject(string commit) => HookStatusReport.Subject(repository, commit);
            if (parse.GetValue(json))
            {
                context.WriteJson(new StatusJson(
                    HookSettings.Name(report.Mode), report.HooksDir, report.Hooks.Select(h => new StatusJson.HookState(h.Name, h.State)).ToList(), report.Pre,
                    report.Running is { } r
                        ? new StatusJson.ActiveJob(r.Commit, Subject(r.Commit), r.Trigger, r.Stage, r.Started, Seconds(now - r.Started), Seconds(now - r.StageStarted), r.Pid, r.Log)
                        : null,
                    report.Queued is { } q ? new StatusJson.QueuedJob(q.Commit, Subject(q.Commit), q.Trigger, q.Queued) : null,
                    report.LastJob is { } l ? new StatusJson.FinishedJob(l.Commit, l.Trigger, l.Outcome, l.Message, l.Finished, l.Log) : null,
                    report.Verdicts.Select(e => new StatusJson.CommitVerdict(e.Commit, e.Subject, e.Verdict.Kind, e.Verdict.Pre, e.Verdict.Checked,
                        e.Verdict.Changed, e.Verdict.New, e.Verdict.Removed, e.Verdict.Unsafe, e.Verdict.Reason, e.Verdict.Log, e.Verdict.Manifest)).ToList(),
                    launcher,
                    lastBuild is { } b ? new StatusJson.BuildRun(b.Label, b.Finished, b.Launcher, b.CacheHits, b.CacheMisses) : null,
                    report.LogDir,
                    new StatusJson.DiskUse(repository.StateDir, diskTotal, diskParts.Select(p => new StatusJson.DiskPart(p.Name, p.Path, p.Bytes)).ToList())),
                    KspliceJsonContext.Relaxed.StatusJson);
                return ExitCodes.Success;
            }

            var installed = report.Hooks.Where(h => h.State is HookFileState.Installed or HookFileState.InstalledChained).Select(h => h.Name).ToList();
            context.Out.WriteLine($"hook mode: {HookSettings.Name(report.Mode)}; " + (report.HooksDir == null ? "bare repository, no hooks"
                : installed.Count == 0 ? "hooks not installed (git ksplice hooks install)"
                : $"hooks installed in {report.HooksDir}: {string.Join(", ", installed)}"));
            context.Out.WriteLine(report.Pre == null ? $"pre:       {SeriesRefs.PreRef} is not set" : $"pre:       {report.Pre[..12]} {Subject(report.Pre)}");
            if (report.Running is { } running)
            {
                context.Out.WriteLine($"running:   {running.Commit[..12]} {Subject(running.Commit)}");
                context.Out.WriteLine($"           {running.Stage} ({Ago(now - running.StageStarted)}), {Ago(now - running.Started)} in all; pid {running.Pid}, after {running.Trigger}");
                context.Out.WriteLine($"           log: {running.Log}");
            }
            else context.Out.WriteLine("running:   no job");
            if (report.Queued is { } queued)
                context.Out.WriteLine($"queued:    {queued.Commit[..12]} {Subject(queued.Commit)} (after {queued.Trigger}, {Ago(now - queued.Queued)} ago)");
            if (report.LastJob is { } last)
            {
                context.Out.WriteLine($"last job:  {last.Commit[..12]} {last.Outcome.Word()}{(last.Message.Length > 0 ? ": " + last.Message : "")} ({Ago(now - last.Finished)} ago)");
                context.Out.WriteLine($"           log: {last.Log}");
            }
            context.Out.WriteLine(report.Verdicts.Count == 0 ? "no verdicts yet" : "last verdicts:");
            foreach (var e in report.Verdicts)
            {
                context.Out.WriteLine($"  {e.Commit[..12]}  {e.Verdict.Kind.Word(),-14}  {e.Subject}");
                if (e.Verdict.Summary.Length > 0) context.Out.WriteLine($"  {"",12}  {e.Verdict.Summary}");
            }
            context.Out.WriteLine($"launcher:  {launcher ?? "none"} (ksplice.compilerLauncher)");
            if (lastBuild is { } build)
                context.Out.WriteLine($"           last build {build.Label} ({Ago(now - build.Finished)} ago): " +
                    (build.Launcher == null ? "no launcher" : "through " + build.Launcher) +
                    (build.HitRate is { } rate ? $", {build.CacheHits} of {build.CacheHits + build.CacheMisses} compiles from the cache ({rate * 100:0}%)"
                        : build.CacheHits != null ? ", nothing the cache could serve" : ""));
            context.Out.WriteLine($"logs:      {report.LogDir}/<commit>/log");
            context.Out.WriteLine(diskParts.Count == 0 ? "disk:      nothing kept under the git dir yet"
                : $"disk:      {StateDiskUsage.Human(diskTotal)} in {repository.StateDir} (" +
                  string.Join(", ", diskParts.Select(p => $"{p.Name} {StateDiskUsage.Human(p.Bytes)}")) + "); git ksplice gc removes what is stale");
            return ExitCodes.Success;
        });
        return command;
    }

    private static double Seconds(TimeSpan span) => Math.Round(Math.Max(0, span.TotalSeconds), 1);

    private static string Ago(TimeSpan span) =>
        span.TotalSeconds < 90 ? $"{Math.Max(0, span.TotalSeconds):0} s"
        : span.TotalMinutes < 90 ? $"{span.TotalMinutes:0} min"
        : span.TotalHours < 48 ? $"{span.TotalHours:0} h"
        : $"{span.TotalDays:0} days";
}

/// <summary>status --json: the hooks, the running and queued jobs, how the last ended, the last verdicts, the last build and the disk.</summary>
internal sealed record StatusJson(string Mode, string? HooksDir, IReadOnlyList<StatusJson.HookState> Hooks, string? Pre,
    StatusJson.ActiveJob? Running, StatusJson.QueuedJob? Queued, StatusJson.FinishedJob? LastJob, IReadOnlyList<StatusJson.CommitVerdict> Verdicts,
    string? Launcher, StatusJson.BuildRun? LastBuild, string LogDir, StatusJson.DiskUse Disk)
{
    internal sealed record HookState(string Name, HookFileState State);

    internal sealed record ActiveJob(string Commit, string Subject, string Trigger, string Stage, DateTimeOffset StartedAt,
        double ElapsedSeconds, double StageElapsedSeconds, int Pid, string Log);

    internal sealed record QueuedJob(string Commit, string Subject, string Trigger, DateTimeOffset QueuedAt);

    internal sealed record FinishedJob(string Commit, string Trigger, JobResult Outcome, string Message, DateTimeOffset FinishedAt, string Log);

    /// <summary>The hook's verdict on one commit.</summary>
    internal sealed record CommitVerdict(string Commit, string Subject, UpdateVerdict Verdict, string Pre, DateTimeOffset CheckedAt,
        IReadOnlyList<string> Changed, IReadOnlyList<string> New, IReadOnlyList<string> Removed, IReadOnlyList<string> Unsafe,
        string? Reason, string? Log, string? Manifest);

    internal sealed record BuildRun(string Label, DateTimeOffset FinishedAt, string? Launcher, int? CacheHits, int? CacheMisses);

    internal sealed record DiskUse(string StateDir, long TotalBytes, IReadOnlyList<DiskPart> Parts);

    internal sealed record DiskPart(string Name, string Path, long Bytes);
}
