using System.Globalization;
using GitKsplice.Build;
using GitKsplice.Git;
using GitKsplice.Reporting;
using GitKsplice.Settings;

namespace GitKsplice.Updates;

/// <summary>One thing git ksplice gc removes (or would remove): what, where, its disk use and when it was last used.</summary>
public sealed record GcItem(string Kind, string Path, long Bytes, DateTimeOffset LastUsed, string Reason);

/// <summary>What a gc run removed (or, dry, would remove) and what it left alone and why.</summary>
public sealed record GcReport(DateTimeOffset Cutoff, bool DryRun, IReadOnlyList<GcItem> Removed, IReadOnlyList<string> Skipped)
{
    public long Freed => Removed.Sum(i => i.Bytes);
}

/// <summary>
/// git ksplice gc: removes what git-ksplice keeps under $GIT_COMMON_DIR/ksplice and no longer needs — build
/// trees unused for longer than the max age (but never the snapshot of the current refs/ksplice/pre's outputs),
/// trees a build never finished setting up, build logs, the manifests of updates and the hook's per-commit runs
/// older than that. The refs and notes that record updates are never touched: a shipped update stays
/// recorded and `git ksplice show` still describes it from its note.
/// </summary>
public sealed class StateGc(KspliceRepository repository)
{
    private StateLayout Layout => repository.Layout;

    public GcReport Run(TimeSpan maxAge, bool dryRun, DateTimeOffset? now = null)
    {
        var cutoff = maxAge == TimeSpan.MaxValue ? DateTimeOffset.MinValue : (now ?? DateTimeOffset.UtcNow) - maxAge;
        var candidates = new List<(string Kind, string Path, DateTimeOffset LastUsed, string Reason, IReadOnlyList<string> Companions)>();
        var skipped = new List<string>();

        // Build trees: only with the build lock, so a running create never loses its tree. A lock that cannot
        // be opened is an error (StateLock says why), never taken for a running build.
        using var buildLock = Directory.Exists(Layout.Root) ? StateLock.TryAcquire(Layout.BuildLock, "gc") : null;
        var parts = Layout.Parts().ToList();
        var builds = parts.Where(p => p.Kind is StatePartKind.BuildTree or StatePartKind.PreOutputs).ToList();
        if (buildLock == null && builds.Count > 0)
            skipped.Add($"build trees: a build is running ({StateLock.Holder(Layout.BuildLock) ?? "build.lock is held"})");
        else
        {
            var preTree = new SeriesRefs(repository).Pre?.Tree.Sha;
            foreach (var part in builds)
            {
                var lastUsed = part.Companions.Append(part.Path).Select(LastWrite).Max();
                var source = part.StateFile is { } stateFile ? SourceTreeOf(stateFile) : null;
                if (source == null)
                    // With the lock free, a tree without its state is one a build never finished setting up.
                    candidates.Add(("build-tree", part.Path, lastUsed, "incomplete (no state file)", part.Companions));
                else if (part.Kind == StatePartKind.PreOutputs && source == preTree)
                    // The pre outputs of the current pre: small, and only a full build makes them again.
                    skipped.Add($"{part.Name}: the outputs of the current {SeriesRefs.PreRef}");
                else if (lastUsed < cutoff)
                    candidates.Add(("build-tree", part.Path, lastUsed, "unused since " + Day(lastUsed), part.Companions));
            }
        }

        if (parts.Any(p => p.Kind == StatePartKind.Logs))
            foreach (var log in Directory.EnumerateFiles(Layout.Logs))
                if (LastWrite(log) is var when && when < cutoff)
                    candidates.Add(("log", log, when, "written " + Day(when), []));

        // Update manifests: the note keeps the record; the manifest only adds detail to `show`.
        if (parts.Any(p => p.Kind == StatePartKind.Updates))
        {
            var store = new UpdateStore(repository);
            foreach (var dir in Directory.EnumerateDirectories(Layout.Updates))
            {
                var when = NewestWrite(dir);
                var recorded = UpdateId.TryParse(Path.GetFileName(dir), out var id) && store.PostCommit(id) != null;
                if (!recorded && maxAge != TimeSpan.MaxValue)
                    candidates.Add(("update", dir, when, "no update of this id is recorded", []));
                else if (when < cutoff)
                    candidates.Add(("update", dir, when, "manifest written " + Day(when) + "; the update stays recorded in its note and ref", []));
            }
        }

        // The hook's runs, one directory per checked commit; its queue, lock and job files stay.
        if (parts.Any(p => p.Kind == StatePartKind.Hook))
            foreach (var dir in Directory.EnumerateDirectories(Layout.Hook))
                if (IsObjectId(Path.GetFileName(dir)) && NewestWrite(dir) is var when && when < cutoff)
                    candidates.Add(("hook-run", dir, when, "checked " + Day(when), []));

        var sizes = StateDiskUsage.Sizes(candidates.Select(c => c.Path).ToList());
        var removed = new List<GcItem>();
        foreach (var c in candidates.OrderBy(c => c.Path, StringComparer.Ordinal))
        {
            if (!dryRun)
            {
                // A build tree loses its state and index first: cut short, it reads as absent, never as built.
                foreach (var companion in c.Companions) Delete(companion);
                Delete(c.Path);
            }
            removed.Add(new GcItem(c.Kind, c.Path, sizes.GetValueOrDefault(c.Path), c.LastUsed, c.Reason));
        }
        return new GcReport(cutoff, dryRun, removed, skipped);
    }

    /// <summary>The max age: the command line, else git config ksplice.gc.maxAge, else 30 days.</summary>
    public static TimeSpan MaxAge(KspliceRepository repository, string? fromCommandLine)
    {
        if (fromCommandLine == null) return repository.Config.Get(KspliceConfigKeys.GcMaxAge);
        try { return ConfigValues.Duration(fromCommandLine); }
        catch (FormatException e) { throw new UserError(e.Message, ExitCodes.Usage); }
    }

    /// <summary>The source tree a build tree or output snapshot state file names, or null when it is missing or unreadable.</summary>
    private static string? SourceTreeOf(string stateFile)
    {
        try
        {
            using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(stateFile));
            return json.RootElement.TryGetProperty("SourceTree", out var tree) ? tree.GetString() : null;
        }
        catch (Exception e) when (e is IOException or System.Text.Json.JsonException or UnauthorizedAccessException) { return null; }
    }

    private static void Delete(string path)
    {
        if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
        else File.Delete(path);
    }

    private static DateTimeOffset LastWrite(string path) =>
        Directory.Exists(path) ? Directory.GetLastWriteTimeUtc(path)
        : File.Exists(path) ? File.GetLastWriteTimeUtc(path) : DateTimeOffset.MinValue;

    /// <summary>The newest write to any file in a small directory (the directory's own time when it is empty).</summary>
    private static DateTimeOffset NewestWrite(string dir) =>
        Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories).Select(LastWrite).DefaultIfEmpty(LastWrite(dir)).Max();

    private static bool IsObjectId(string name) => name.Length is 40 or 64 && name.All(Uri.IsHexDigit);

    private static string Day(DateTimeOffset when) => when.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
