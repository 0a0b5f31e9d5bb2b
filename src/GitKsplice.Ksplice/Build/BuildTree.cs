using System.Text.Json;
using GitKsplice.Git;
using GitKsplice.Json;
using GitKsplice.Processes;
using GitKsplice.Reporting;

namespace GitKsplice.Build;

/// <summary>
/// What a build tree holds: the source tree it was synced to and whether that state is built. While a move is
/// under way (and after one failed or was killed) Moving is set: what the tree holds is unknown.
/// </summary>
/// <remarks>
/// ObjectsOnly: the last build made only the objects a change touched (Kbuild), not vmlinux or modules.
/// ObjectsFrom: while not Built, the source the tree's objects were last built from, kept across moves (a --patch
/// create moves the tree to the pre source before its build): the objects stay, and so does what they are of.
/// BuildUnfinished: a build started and never ended (it was killed), kept across moves until a build ends: the
/// objects it was making may be half made, newer than their sources but without what the build system makes
/// with them.
/// </remarks>
public sealed record BuildTreeState(string SourceTree, string BuildKey, string ConfigHash, bool Built, bool Moving = false, bool ObjectsOnly = false,
    string? ObjectsFrom = null, bool BuildUnfinished = false);

/// <summary>The build failed; the log keeps its whole output.</summary>
public sealed class BuildFailedException(string what, int exitCode, string logPath)
    : UserError($"build of {what} failed (exit {exitCode}); see the log: {logPath}")
{
    /// <summary>The state whose build failed: "the pre state", "the post state".</summary>
    public string What { get; } = what;
    public int BuildExitCode { get; } = exitCode;
    public string LogPath { get; } = logPath;
}

/// <summary>
/// The build tree of our own under the git dir ($GIT_COMMON_DIR/ksplice/build/&lt;name&gt;), never the user's
/// working tree. Its source is moved between git trees with its own index and `read-tree -u`, which rewrites
/// only the files that differ, so make's dependency tracking rebuilds only what a change touches.
/// </summary>
public sealed class BuildTree(KspliceRepository repository, BuildTreePaths paths)
{
    public BuildTreePaths Paths { get; } = paths;
    public string Root => Paths.Root;
    private string IndexFile => Paths.Index;
    private string StateFile => Paths.State;
    private string LogDir => repository.Layout.Logs;

    public BuildTreeState? State
    {
        get
        {
            try { return File.Exists(StateFile) ? JsonSerializer.Deserialize(File.ReadAllText(StateFile), BuildStateJsonContext.Default.BuildTreeState) : null; }
            catch (JsonException) { return null; }
        }
    }

    /// <summary>Not flushed to disk: a state lost in a crash only costs a clean rebuild.</summary>
    private void SaveState(BuildTreeState state) =>
        AtomicFile.WriteAllText(StateFile, JsonSerializer.Serialize(state, BuildStateJsonContext.Default.BuildTreeState), flushToDisk: false);

    /// <summary>git plumbing on this tree: our own index and work tree, the user's objects.</summary>
    public GitCli Git => repository.Git.With(new Dictionary<string, string?>
    {
        ["GIT_DIR"] = repository.CommonDir,
        ["GIT_WORK_TREE"] = Root,
        ["GIT_INDEX_FILE"] = IndexFile,
    });

    /// <summary>
    /// Moves the tree's source to <paramref name="treeId"/> (under the build lock), rewriting only what differs. The state is marked
    /// moving until the move has completed: after a move that failed or was killed, the next one resets every
    /// tracked file. A tree whose tracked files no longer match its index (a build
    /// that rewrote a source, a hand edit) is reset too, so the build always sees exactly the tree's source.
    /// Returns the source the tree held built, intact and with the same configuration before the move (its
    /// objects are up to date with it), else null.
    /// </summary>
    public string? Sync(string treeId, string buildKey, string configHash)
    {
        // The caller holds the build lock: an index lock here is a git of an earlier run killed while it
        // wrote the tree (that run marked the tree moving, so the move below resets it).
        if (File.Exists(IndexFile + ".lock")) File.Delete(IndexFile + ".lock");
        var state = State;
        if (state == null || state.BuildKey != buildKey || !File.Exists(IndexFile) || !Directory.Exists(Root))
        {
            // A different compiler or build command: start clean, an incremental build would mix the two. So
            // does a tree whose directory someone removed (git would refuse to work in it).
            Remove();
            Directory.CreateDirectory(Root);
            state = null;
        }
        var settled = state is { Moving: false } && MatchesIndex() ? state.SourceTree : null;
        var builtFrom = settled != null && state!.ConfigHash == configHash ? (state.Built ? settled : state.ObjectsFrom) : null;
        if (settled == treeId && state!.ConfigHash == configHash) return builtFrom;
        RefuseLinksLeavingTree(treeId);
        var unfinished = state?.BuildUnfinished ?? false;
        SaveState(new BuildTreeState(treeId, buildKey, configHash, Built: false, Moving: true, BuildUnfinished: unfinished));
        // A two-tree move from the tree's source rewrites what differs and skips unchanged directories by
        // their cached trees: half the time of a one-tree reset on a kernel's 75k-file index. The reset, which
        // also rewrites every tracked file that differs from the index, repairs a tree in any other state.
        if (settled == null || settled == treeId || !Git.TryRun(["read-tree", "-m", "-u", settled, treeId]).Succeeded)
        {
            Git.Run("read-tree", "--reset", "-u", treeId);
            builtFrom = null;
        }
        SaveState(new BuildTreeState(treeId, buildKey, configHash, Built: false, ObjectsFrom: builtFrom, BuildUnfinished: unfinished));
        return builtFrom;
    }

    /// <summary>
    /// The tree holds exactly a commit's content: a symbolic link to a file outside it would make the build read
    /// what no commit holds (an edit there, never committed, would ship), so such a link stops the move before
    /// anything is written.
    /// </summary>
    private void RefuseLinksLeavingTree(string treeId)
    {
        var leaving = Git.SymbolicLinks(treeId).Where(link => LeavesTree(link.Path, link.Target)).ToList();
        if (leaving.Count == 0) return;
        var (path, target) = leaving[0];
        throw new UserError($"{Quoted.Name(path, PathMax)} is a symbolic link to {Quoted.Name(target, PathMax)}, outside the tree: its build would read what " +
            $"no commit holds; commit the file itself{(leaving.Count > 1 ? $" ({leaving.Count - 1} more such link(s))" : "")}");
    }

    /// <summary>Long enough for any path a system takes whole (PATH_MAX), short enough for one line.</summary>
    private const int PathMax = 4096;

    /// <summary>
    /// Whether a link at <paramref name="linkPath"/> (relative to the tree) to <paramref name="target"/> points
    /// outside the tree: an absolute target, or one whose ".." climb above the tree's root, read as written.
    /// </summary>
    internal static bool LeavesTree(string linkPath, string target)
    {
        if (target.StartsWith('/')) return true;
        var depth = linkPath.Count(c => c == '/');
        foreach (var part in target.Split('/'))
            if (part == "..") { if (--depth < 0) return true; }
            else if (part is not ("" or ".")) depth++;
        return false;
    }

    /// <summary>
    /// Whether every tracked file of the tree is as its index says (one lstat per file; the index keeps the
    /// stat data of each file a move wrote).
    /// </summary>
    private bool MatchesIndex() => Git.TryRun(["diff-files", "--quiet"]).Succeeded;

    /// <summary>
    /// The id of a tree holding the tree's source with <paramref name="files"/> as they are in <paramref name="dir"/>
    /// (a file missing there is removed), staged in a copy of the tree's index: the tree itself is not touched.
    /// </summary>
    public string SourceWith(string dir, IReadOnlyList<string> files)
    {
        if (State is not { Moving: false }) throw new InvalidOperationException("the build tree holds no known source");
        var index = dir + ".index";
        File.Copy(IndexFile, index, overwrite: true);
        try
        {
            var git = repository.Git.With(new Dictionary<string, string?>
            {
                ["GIT_DIR"] = repository.CommonDir,
                ["GIT_WORK_TREE"] = dir,
                ["GIT_INDEX_FILE"] = index,
            });
            git.Run(["update-index", "--add", "--remove", "--", .. files]);
            return git.Run("write-tree").Trim();
        }
        finally { File.Delete(index); }
    }

    /// <summary>Records that the tree is built at its source without running a build (nothing the change touches needs one).</summary>
    public void MarkBuilt(bool objectsOnly)
    {
        if (State is { Moving: false } state) SaveState(state with { Built = true, ObjectsOnly = objectsOnly, ObjectsFrom = null });
    }

    /// <summary>Records that the build's objects are not to be trusted: the next build of the tree makes them again.</summary>
    public void MarkUnbuilt()
    {
        if (State is { } state) SaveState(state with { Built = false, ObjectsFrom = null });
    }

    /// <summary>Copies the running kernel's .config and System.map (ORIG_CONFIG) into the tree.</summary>
    public void InstallConfig(OriginalConfig config)
    {
        foreach (var file in config.Files)
        {
            var target = Path.Combine(Root, Path.GetFileName(file));
            if (File.Exists(target) && FilesEqual(file, target)) continue; // keep mtime: no needless rebuild
            File.Copy(file, target, overwrite: true);
        }
    }

    /// <summary>
    /// Runs the build command in the tree with <paramref name="env"/> (the build system's); logs to
    /// $GIT_DIR/ksplice/logs/&lt;label&gt;.log. <paramref name="what"/> names the state for messages;
    /// <paramref name="whileBuilding"/> runs once the build has started; <paramref name="objectsOnly"/>: the
    /// command builds only the objects a change touches.
    /// </summary>
    public string Build(BuildSettings settings, Dictionary<string, string?> env, string label, string what, ToolOutput output,
        CancellationToken cancel = default, Action? whileBuilding = null, bool objectsOnly = false)
    {
        Directory.CreateDirectory(LogDir);
        // From the build's start the objects are this source's, made or half-made: those of an earlier state
        // are not trusted again, whether the build fails or is killed.
        if (State is { } before) SaveState(before with { ObjectsFrom = null, BuildUnfinished = true });
        var log = repository.Layout.Log(label);
        File.WriteAllText(log, $"$ {settings.Command}\n# in {Root}\n");
        output.Verbose($"building {what}: {settings.Command} (log: {log})");
        // This build's own ccache counters, whoever else shares the cache.
        var statsLog = settings.EffectiveLauncher == "ccache" ? repository.Layout.CcacheStatsLog(label) : null;
        if (statsLog != null)
        {
            File.Delete(statsLog);
            env["CCACHE_STATSLOG"] = statsLog;
        }
        // -vv echoes the build; otherwise a terminal gets one status line with the build's latest step.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Action<string>? echo = output.Verbosity >= 2 ? line => output.Err.WriteLine(line)
            : output.LiveProgress ? line => output.Status($"building {what} ({clock.Elapsed.TotalSeconds:0}s): {line.Trim()}")
            : null;
        int exit;
        var (program, args) = settings.Invocation(Root, env);
        try { exit = CommandRunner.RunLogged(Root, program, args, log, env, echo, whileBuilding, cancel); }
        finally { output.EndStatus(); }
        var state = State!;
        SaveState(state with { Built = exit == 0, ObjectsOnly = objectsOnly, BuildUnfinished = false });
        var (hits, misses) = statsLog != null ? LastBuild.CcacheCounts(statsLog) : (0, 0);
        new LastBuild(label, DateTimeOffset.UtcNow, settings.EffectiveLauncher, statsLog != null ? hits : null, statsLog != null ? misses : null)
            .Write(repository.Layout.LastBuild);
        if (exit != 0 && NoSpace.Explain(NoSpace.Says(File.ReadAllText(log))) is { } full) throw new UserError($"{full} (building {what}; see the log: {log})");
        if (exit != 0) throw new BuildFailedException(what, exit, log);
        return log;
    }

    /// <summary>
    /// Runs <paramref name="action"/> with the tree holding the source <paramref name="treeId"/> and moves it back
    /// to the source it holds now, keeping whether that state is built. The files the two sources differ in get
    /// back their mtimes (and git their stat data), so the next build recompiles nothing it would not have
    /// anyway. A move cut short is repaired by the next one.
    /// </summary>
    public void WithSourceOf(string treeId, Action action)
    {
        var state = State is { Moving: false } s ? s : throw new InvalidOperationException("the build tree holds no known source");
        var times = Git.PathsBetween(state.SourceTree, treeId)
            .Select(file => new FileInfo(Path.Combine(Root, file)))
            .Where(file => file.Exists && file.LinkTarget == null)
            .Select(file => (file.FullName, file.LastWriteTimeUtc))
            .ToList();
        Sync(treeId, state.BuildKey, state.ConfigHash);
        try { action(); }
        finally
        {
            Sync(state.SourceTree, state.BuildKey, state.ConfigHash);
            foreach (var (path, time) in times)
                if (File.Exists(path)) File.SetLastWriteTimeUtc(path, time);
            Git.TryRun(["update-index", "-q", "--refresh"]);
            SaveState(State! with { Built = state.Built, ObjectsOnly = state.ObjectsOnly, ObjectsFrom = state.ObjectsFrom });
        }
    }

    private void Remove()
    {
        if (Directory.Exists(Root)) Directory.Delete(Root, recursive: true);
        if (Directory.Exists(Paths.SectionedCopies)) Directory.Delete(Paths.SectionedCopies, recursive: true);
        Directory.CreateDirectory(Path.GetDirectoryName(Root)!);
        File.Delete(IndexFile);
        File.Delete(StateFile);
    }

    private static bool FilesEqual(string a, string b) =>
        new FileInfo(a).Length == new FileInfo(b).Length && File.ReadAllBytes(a).AsSpan().SequenceEqual(File.ReadAllBytes(b));
}
