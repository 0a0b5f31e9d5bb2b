using System.Diagnostics;
using GitKsplice.Build;
using GitKsplice.Git;
using GitKsplice.Images;
using GitKsplice.Json;
using GitKsplice.Livepatch;
using GitKsplice.Reporting;
using GitKsplice.Transport;
using GitKsplice.Updates;
using GitKsplice.Vm;
using LibGit2Sharp;

namespace GitKsplice.Live;

/// <summary>An update whose livepatch module may go onto a kernel: its module checked against the manifest, and the pre System.map.</summary>
public sealed record LiveUpdate(UpdateId Id, string Tarball, string? Post, LivepatchModule Module, KernelModule Loadable, string SystemMap);

/// <summary>Where a command reaches its target, and how.</summary>
public sealed record LiveConnection(HostAddress Host, IReadOnlyList<string> SshCommand, bool RemoteSudo);

/// <summary>What an apply checked and did.</summary>
public sealed record ApplyReport(UpdateId Id, string Module, string Host, string Release, IReadOnlyList<LiveCheck> Checks, bool DryRun,
    LiveResult? Result, JobLog? Job, IReadOnlyList<LiveFunction> Functions, string? Failure, TimeSpan Elapsed);

/// <summary>One update an undo took back (or tried to).</summary>
public sealed record UndoStep(UpdateId Id, string Module, LiveResult Result, JobLog Job, string? Failure);

/// <summary>What an undo did, newest update first.</summary>
public sealed record UndoReport(string Host, string Release, IReadOnlyList<UpdateId> Order, IReadOnlyList<UndoStep> Steps, TimeSpan Elapsed)
{
    public string? Failure => Steps.Select(s => s.Failure).FirstOrDefault(f => f != null);
}

/// <summary>A livepatch on a target as view shows it: ours (with the update's id, commit and subject) or foreign.</summary>
public sealed record ViewedPatch(LoadedPatch Patch, UpdateId? Id, string? Commit, string? Subject, string? ExpectedSha256)
{
    /// <summary>Whether the module copied for it has the update's bytes; null when either is unknown.</summary>
    public bool? Sha256Matches => Patch.Sha256 != null && ExpectedSha256 != null ? Patch.Sha256 == ExpectedSha256 : null;
}

/// <summary>Every livepatch on a target, and for a named update whether it is applied there.</summary>
public sealed record ViewReport(string Host, string Release, bool Livepatch, IReadOnlyList<ViewedPatch> Patches,
    IReadOnlyDictionary<string, string> Jobs, UpdateInfo? Update, bool? UpdateApplied);

/// <summary>
/// git ksplice apply, undo and view: an update's livepatch module put on a running kernel (this machine or a host
/// over ssh) after checking that it is the kernel the update was built for, taken back in series order, and
/// every livepatch there listed. Each apply and undo is recorded in the update's note.
/// </summary>
/// <param name="info">Told what an earlier, interrupted apply or undo on the same host turned out to be.</param>
public sealed class LiveUpdates(KspliceRepository repository, Action<string> info)
{
    private readonly UpdateStore _store = new(repository);

    /// <summary>
    /// An update named by id (its tarball where create wrote it) or a tarball path, its module checked against the
    /// manifest's sha256; the pre System.map from <paramref name="configDir"/> or the tree's ORIG_CONFIG.
    /// </summary>
    public LiveUpdate Resolve(string idOrTarball, string? configDir)
    {
        OpenedUpdate opened;
        string? post = null;
        if (IsTarballPath(idOrTarball))
        {
            if (!File.Exists(idOrTarball)) throw new UserError($"no such update tarball: {idOrTarball}");
            opened = UpdateTarball.Open(Path.GetFullPath(idOrTarball));
            if (_store.PostCommit(opened.Id) is { } commit && commit.Sha == opened.Manifest.Post) post = commit.Sha;
        }
        else
        {
            var update = _store.Get(UpdateId.Parse(idOrTarball));
            post = update.Post;
            var tarball = update.Note?.Tarball is { } t && File.Exists(t) ? t
                : throw new UserError($"the tarball of update {update.Id} is gone{(update.Note?.Tarball is { } gone ? $" ({gone})" : "")}: build it again with git ksplice create");
            opened = UpdateTarball.Open(tarball, update);
        }
        return new LiveUpdate(opened.Id, opened.Tarball, post, opened.Module, opened.Loadable, SystemMap(configDir));
    }

    /// <summary>An operand naming a tarball rather than an update id (which has neither '/' nor '.').</summary>
    public static bool IsTarballPath(string operand) => operand.EndsWith(".tar.gz", StringComparison.Ordinal) || operand.Contains('/');

    private string SystemMap(string? configDir)
    {
        var dir = OriginalConfig.DirectoryOf(repository, configDir);
        var map = dir == null ? null : Path.Combine(dir, "System.map");
        return map != null && File.Exists(map) ? Path.GetFullPath(map)
            : throw new UserError($"no System.map of the update's kernel in {dir ?? "<tree>/ksplice"} (ORIG_CONFIG): it is what the target's kernel is checked against; name its directory with --config");
    }

    /// <summary>Checks the target and, unless <paramref name="dryRun"/> or a check fails, loads the update and waits for its transition.</summary>
    public ApplyReport Apply(LiveUpdate update, LiveConnection connection, TimeSpan timeout, bool dryRun, Action<string> progress, CancellationToken cancel)
    {
        var started = Stopwatch.GetTimestamp();
        progress($"connecting to {connection.Host.Display}");
        using var target = LiveTarget.Open(connection.Host, connection.SshCommand, cancel);
        var host = target.Display;
        var checks = new List<LiveCheck>();
        ApplyReport Report(LiveResult? result, JobLog? job, IReadOnlyList<LiveFunction> functions, string? failure) =>
            new(update.Id, update.Module.Name, host, target.Facts.Release, checks, dryRun, result, job, functions, failure, Stopwatch.GetElapsedTime(started));
        ApplyReport Refuse(LiveCheck failed)
        {
            checks.Add(failed);
            var report = Report(LiveResult.Refused, null, [], failed.Detail);
            if (!dryRun) Record(update, LiveAction.Apply, report.Host, report.Release, LiveResult.Refused, failed.Detail);
            return report;
        }

        progress($"checking {host}");
        if (Gate("root", () => target.RequireRoot(connection.RemoteSudo)) is { Passed: false } root) return Refuse(root);
        if (Gate("livepatch", () => { target.RequireLivepatch(); return "the kernel has /sys/kernel/livepatch"; }) is { Passed: false } livepatch) return Refuse(livepatch);
        foreach (var check in (LiveCheck[])[
            LiveChecks.Release(update.Id, update.Loadable.Release, target.Facts, host),
            LiveChecks.Vermagic(update.Id, update.Loadable.Vermagic, target.Facts, host)])
        {
            if (!check.Passed) return Refuse(check);
            checks.Add(check);
        }
        var view = target.View();
        Reconcile(view, host, target.Facts.Release);
        foreach (var check in (LiveCheck[])[
            LiveChecks.NotApplied(update.Id, update.Module.Name, view, host),
            LiveChecks.Series(update.Id, update.Module.Follows, view, host)])
        {
            if (!check.Passed) return Refuse(check);
            checks.Add(check);
        }
        var names = update.Module.Objects.SelectMany(o => o.Functions.Select(f => f.OldName)).Append(LiveChecks.Base).ToHashSet(StringComparer.Ordinal);
        var systemMap = KernelSymbols.ParseSystemMap(File.ReadLines(update.SystemMap));
        var symbols = LiveChecks.Symbols(update.Id, update.Module, systemMap, target.Symbols(names), host);
        if (!symbols.Passed) return Refuse(symbols);
        checks.Add(symbols);
        if (dryRun) return Report(null, null, [], null);
        if (update.Post == null) info($"update {update.Id} is not recorded in this repository: this apply is not recorded");

        progress($"copying {update.Module.File} to {host}");
        target.Copy(update.Module.Name, update.Loadable.Bytes, update.Module.Sha256);
        progress($"loading {update.Module.Name} and waiting for its transition");
        // Recorded before the job starts: if this command dies, the next one finds the job's result on the target.
        Record(update, LiveAction.Apply, host, target.Facts.Release, LiveResult.Interrupted, Unfinished);
        var job = target.Load(update.Module.Name, timeout);
        var result = JobResult(job, LiveResult.Applied);
        var functions = result == LiveResult.Applied ? target.View().Find(update.Module.Name)?.Functions ?? [] : [];
        var failure = JobFailure(update.Id, result, job, host, timeout, "apply");
        Record(update, LiveAction.Apply, host, target.Facts.Release, result, failure);
        return Report(result, job, functions, failure);

        LiveCheck? Gate(string name, Func<string> check)
        {
            string detail;
            try { detail = check(); }
            catch (UserError e) { return new(name, false, e.Message); }
            checks.Add(new(name, true, detail));
            return null;
        }
    }

    /// <summary>
    /// Takes an update back: disable, wait for the transition, unload. Updates of its series applied after it go
    /// first with <paramref name="all"/>, else the undo is refused (newest first).
    /// </summary>
    public UndoReport Undo(UpdateId id, LiveConnection connection, TimeSpan timeout, bool all, bool dryRun, Action<string> progress, CancellationToken cancel)
    {
        var started = Stopwatch.GetTimestamp();
        var update = _store.Get(id);
        var module = LivepatchModule.ModuleName(update.Id.Value);
        progress($"connecting to {connection.Host.Display}");
        using var target = LiveTarget.Open(connection.Host, connection.SshCommand, cancel);
        var host = target.Display;
        target.RequireRoot(connection.RemoteSudo);
        target.RequireLivepatch();
        var view = target.View();
        Reconcile(view, host, target.Facts.Release);
        if (view.Find(module) == null)
            throw new UserError($"update {update.Id} is not applied on {host}: no {module} in /sys/kernel/livepatch");
        var ours = Ours(view);
        // Applied updates that follow this one in its series, the newest (longest chain) first.
        var later = ours.Where(o => o.Id != update.Id && o.Chain.Contains(update.Id)).OrderByDescending(o => o.Chain.Count).ToList();
        if (later.Count > 0 && !all)
            throw new UserError($"update {later[0].Id} follows {update.Id} in its series and is applied on {host}: undo it first (newest first), or give --all");
        var order = later.Select(l => (l.Id, l.Post)).Append((update.Id, update.Post)).ToList();
        var steps = new List<UndoStep>();
        var planned = order.Select(o => o.Id).ToList();
        if (dryRun) return new UndoReport(host, target.Facts.Release, planned, steps, Stopwatch.GetElapsedTime(started));
        foreach (var (undoId, post) in order)
        {
            var name = LivepatchModule.ModuleName(undoId.Value);
            progress($"undoing {name}");
            Record(undoId, post, LiveAction.Undo, host, target.Facts.Release, LiveResult.Interrupted, Unfinished);
            var job = target.Undo(name, timeout);
            var result = JobResult(job, LiveResult.Undone);
            var failure = JobFailure(undoId, result, job, host, timeout, "undo");
            Record(undoId, post, LiveAction.Undo, host, target.Facts.Release, result, failure);
            steps.Add(new UndoStep(undoId, name, result, job, failure));
            if (failure != null) break;
        }
        return new UndoReport(host, target.Facts.Release, planned, steps, Stopwatch.GetElapsedTime(started));
    }

    /// <summary>Every livepatch on the target, ours marked with their update; with <paramref name="id"/>, whether that update is among them.</summary>
    public ViewReport View(UpdateId? id, LiveConnection connection, Action<string> progress, CancellationToken cancel)
    {
        var update = id is { } named ? _store.Get(named) : null;
        progress($"connecting to {connection.Host.Display}");
        using var target = LiveTarget.Open(connection.Host, connection.SshCommand, cancel);
        if (target.Facts.Uid != 0 && connection.RemoteSudo && !target.IsThisMachine) target.RequireRoot(remoteSudo: true);
        var view = target.View();
        Reconcile(view, target.Display, view.Release);
        var byModule = Updates().ToDictionary(u => LivepatchModule.ModuleName(u.Id.Value), StringComparer.Ordinal);
        var patches = view.Patches.Select(p =>
        {
            if (!byModule.TryGetValue(p.Module, out var u)) return new ViewedPatch(p, null, null, null, null);
            var subject = repository.Repo.Lookup<Commit>(u.Post)?.MessageShort;
            return new ViewedPatch(p, u.Id, u.Post, subject, ManifestOf(u)?.Module?.Sha256);
        }).ToList();
        bool? applied = update == null ? null : view.Find(LivepatchModule.ModuleName(update.Id.Value)) is { Enabled: true };
        return new ViewReport(target.Display, view.Release, view.Livepatch, patches, view.Jobs, update, applied);
    }

    private const string Unfinished = "the command ended before the job on the target reported how it ended";

    /// <summary>
    /// An apply or undo whose command ended (a dropped connection, an interrupt) before its job on the target did
    /// is recorded as interrupted; the job's log there says how it ended, which is said and recorded now.
    /// </summary>
    private void Reconcile(TargetView view, string host, string release)
    {
        var updates = Updates();
        var notes = _store.Notes.Snapshot().ReadMany(updates.Select(u => u.Post));
        foreach (var u in updates)
        {
            foreach (var record in LiveRecord.FromNote(u.Id, notes.GetValueOrDefault(u.Post)))
            {
                if (record.Host != host || record.Result != LiveResult.Interrupted) continue;
                var module = LivepatchModule.ModuleName(u.Id.Value);
                var what = record.Action == LiveAction.Apply ? "apply" : "undo";
                if (!view.Jobs.TryGetValue(module, out var ended) || LiveRecord.Results.Parse(ended) is not { } result)
                {
                    info($"the {what} of update {u.Id} on {host} was interrupted and its job {(view.Jobs.ContainsKey(module) ? "is still running there" : "left no log there")}");
                    continue;
                }
                info($"the {what} of update {u.Id} on {host}, interrupted at {WireTime.Format(record.When)}, ended there: {ended}");
                Record(u.Id, u.Post, record.Action, host, release, result,
                    result is LiveResult.Applied or LiveResult.Undone ? null : $"the job on the target ended {ended} after its command was interrupted");
            }
        }
    }

    /// <summary>The recorded updates, each with its manifest (the state directory's copy, else the tarball's).</summary>
    private IReadOnlyList<UpdateInfo> Updates() => _store.All();

    private Manifest? ManifestOf(UpdateInfo u)
    {
        if (u.Manifest != null) return u.Manifest;
        var full = _store.Get(u.Id);
        if (full.Manifest != null) return full.Manifest;
        return full.Note?.Tarball is { } t && File.Exists(t) ? UpdateArchive.ReadManifest(t) : null;
    }

    /// <summary>Our updates applied on the target, each with the chain of updates it follows (itself first).</summary>
    private List<(UpdateId Id, string Post, IReadOnlyList<UpdateId> Chain)> Ours(TargetView view)
    {
        var updates = Updates().ToDictionary(u => u.Id);
        var byModule = updates.Values.ToDictionary(u => LivepatchModule.ModuleName(u.Id.Value), StringComparer.Ordinal);
        var result = new List<(UpdateId, string, IReadOnlyList<UpdateId>)>();
        foreach (var patch in view.Patches)
        {
            if (!byModule.TryGetValue(patch.Module, out var u)) continue;
            var chain = new List<UpdateId> { u.Id };
            var current = u;
            // A follows that is not an update id names no recorded update: the chain ends there.
            while (ManifestOf(current)?.Module?.Follows is { } follows && UpdateId.TryParse(follows, out var previous)
                   && !chain.Contains(previous) && updates.TryGetValue(previous, out var p))
            {
                chain.Add(previous);
                current = p;
            }
            result.Add((u.Id, u.Post, chain));
        }
        return result;
    }

    private static LiveResult JobResult(JobLog job, LiveResult success) =>
        job.Result == null ? LiveResult.Interrupted
        : job.Result == LiveRecord.Results[success] ? success
        : LiveRecord.Results.Parse(job.Result) ?? LiveResult.Interrupted;

    private static string? JobFailure(UpdateId id, LiveResult result, JobLog job, string host, TimeSpan timeout, string what)
    {
        string Blockers() => job.Blocking.Count == 0 ? "" :
            "; tasks not yet switched: " + string.Join(", ", job.Blocking.Take(5).Select(t => $"{t.Command} ({t.Tid})")) + (job.Blocking.Count > 5 ? $" and {job.Blocking.Count - 5} more" : "");
        var log = LiveTarget.LogPath(LivepatchModule.ModuleName(id.Value));
        return result switch
        {
            LiveResult.Applied or LiveResult.Undone => null,
            LiveResult.LoadFailed => $"update {id} did not load on {host}: {LastOutput(job, "insmod failed")}",
            LiveResult.NotLivepatch => $"update {id}'s module loaded on {host} but registered no livepatch; it was unloaded",
            LiveResult.Reversed => $"the transition of update {id} did not complete in {timeout.TotalSeconds:0} s on {host}; it was reversed and unloaded{Blockers()}",
            LiveResult.Stuck => $"the transition of update {id} on {host} neither completed nor reversed{Blockers()}; see {log} there",
            LiveResult.StillApplied => $"the transition back of update {id} did not complete in {timeout.TotalSeconds:0} s on {host}; it stays applied{Blockers()}",
            LiveResult.UnloadFailed => $"update {id} was disabled on {host} but its module did not unload: {LastOutput(job, "rmmod failed")}",
            _ when job.Vanished => $"the {what} job of update {id} on {host} ended without a result: {LastOutput(job, "no output")}",
            _ when job.BusyPid is { } pid => $"an earlier apply or undo of update {id} is still running on {host} (pid {pid}); its log is {log} there",
            _ => $"the {what} of update {id} on {host} did not report how it ended (the connection was lost?); it finishes on its own: git ksplice view shows its result ({log} there)",
        };
    }

    private static string LastOutput(JobLog job, string fallback) =>
        job.Output.LastOrDefault(l => !l.StartsWith("kernel: ", StringComparison.Ordinal)) is { } line
            ? line + (job.Output.LastOrDefault(l => l.StartsWith("kernel: ", StringComparison.Ordinal)) is { } k ? $" ({k})" : "")
            : fallback;

    private void Record(LiveUpdate update, LiveAction action, string host, string release, LiveResult result, string? failure)
    {
        if (update.Post != null) Record(update.Id, update.Post, action, host, release, result, failure);
    }

    private void Record(UpdateId id, string post, LiveAction action, string host, string release, LiveResult result, string? failure)
    {
        var record = new LiveRecord(id, action, host, release, DateTimeOffset.UtcNow, result, failure);
        _store.Notes.Edit(new Dictionary<string, Func<string?, string?>> { [post] = record.MergeInto },
            $"ksplice {(action == LiveAction.Apply ? "apply" : "undo")} {id} on {host}: {LiveRecord.Results[result]}");
    }
}
