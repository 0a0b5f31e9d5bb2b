using System.CommandLine;
using System.Text.Json.Nodes;
using GitKsplice.Build;
using GitKsplice.Git;
using GitKsplice.Hooks;
using GitKsplice.Json;
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
                context.WriteJson(new JsonObject
                {
                    ["mode"] = HookSettings.Name(report.Mode),
                    ["hooksDir"] = report.HooksDir,
                    ["hooks"] = report.Hooks.ToJsonArray(h => new JsonObject { ["name"] = h.Name, ["state"] = HooksCommand.StateWord(h.State) }),
                    ["pre"] = report.Pre,
                    ["running"] = report.Running is { } r ? new JsonObject
                    {
                        ["commit"] = r.Commit, ["subject"] = Subject(r.Commit), ["trigger"] = r.Trigger, ["stage"] = r.Stage,
                        ["startedAt"] = WireTime.Format(r.Started), ["elapsedSeconds"] = Seconds(now - r.Started), ["stageElapsedSeconds"] = Seconds(now - r.StageStarted),
                        ["pid"] = r.Pid, ["log"] = r.Log,
                    } : null,
                    ["queued"] = report.Queued is { } q
                        ? new JsonObject { ["commit"] = q.Commit, ["subject"] = Subject(q.Commit), ["trigger"] = q.Trigger, ["queuedAt"] = WireTime.Format(q.Queued) }
                        : null,
                    ["lastJob"] = report.LastJob is { } l ? new JsonObject
                    {
                        ["commit"] = l.Commit, ["trigger"] = l.Trigger, ["outcome"] = l.Outcome.Word(), ["message"] = l.Message, ["finishedAt"] = WireTime.Format(l.Finished), ["log"] = l.Log,
                    } : null,
                    ["verdicts"] = report.Verdicts.ToJsonArray(e => new JsonObject
                    {
                        ["commit"] = e.Commit, ["subject"] = e.Subject, ["verdict"] = e.Verdict.Kind.Word(), ["pre"] = e.Verdict.Pre, ["checkedAt"] = WireTime.Format(e.Verdict.Checked),
                        ["changed"] = e.Verdict.Changed.ToJsonArray(), ["new"] = e.Verdict.New.ToJsonArray(), ["removed"] = e.Verdict.Removed.ToJsonArray(),
                        ["unsafe"] = e.Verdict.Unsafe.ToJsonArray(), ["reason"] = e.Verdict.Reason, ["log"] = e.Verdict.Log, ["manifest"] = e.Verdict.Manifest,
                    }),
                    ["launcher"] = launcher,
                    ["lastBuild"] = lastBuild is { } b ? new JsonObject
                    {
                        ["label"] = b.Label, ["finishedAt"] = WireTime.Format(b.Finished), ["launcher"] = b.Launcher,
                        ["cacheHits"] = b.CacheHits, ["cacheMisses"] = b.CacheMisses,
                    } : null,
                    ["logDir"] = report.LogDir,
                    ["disk"] = new JsonObject
                    {
                        ["stateDir"] = repository.StateDir,
                        ["totalBytes"] = diskTotal,
                        ["parts"] = diskParts.ToJsonArray(p => new JsonObject { ["name"] = p.Name, ["path"] = p.Path, ["bytes"] = p.Bytes }),
                    },
                });
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
