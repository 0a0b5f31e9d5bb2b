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
/// </remarks>
public sealed record BuildTreeState(string SourceTree, string BuildKey, string ConfigHash, bool Built, bool Moving = false, bool ObjectsOnly = false,
    string? ObjectsFrom = null);

/// <summary>
/// An object of a plain Makefile's build with its stamp and the compile git-ksplice's wrapper recorded for its
/// sectioned copy (<see cref="BuildTree.RecordSuffix"/>); CopyMade says whether that copy was compiled beside it.
/// </summary>
public sealed record RecordedObject(string Path, FileStamp Object, FileStamp Record, bool CopyMade);

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
public sealed class BuildTree(KspliceRepository repository, string name)
{
    public string Name { get; } = name;
    public string Root { get; } = Path.Combine(repository.Layout.BuildDir, name);
    private string IndexFile => Root + ".index";
    /// <summary>Where the compiler wrapper puts the sectioned copies of a plain Makefile's objects, and their records.</summary>
    private string ObjectCopies => Root + ".objects";

    /// <summary>Beside a sectioned copy's path: the compile that makes it (directory, copy, command; NUL-ended).</summary>
    public const string RecordSuffix = ".cmdline";
    private string StateFile => Root + ".state";
    private string LogDir => repository.Layout.Logs;
    private string WrapperDir => repository.Layout.CompilerWrapper;

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

    /// <summary>
    /// Where the objects with one section per function are: the tree itself for Kbuild (KCFLAGS), else the
    /// copies the compiler wrapper compiles beside the build.
    /// </summary>
    public string SectionedObjects(bool kbuild) => kbuild ? Root : ObjectCopies;

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
        SaveState(new BuildTreeState(treeId, buildKey, configHash, Built: false, Moving: true));
        // A two-tree move from the tree's source rewrites what differs and skips unchanged directories by
        // their cached trees: half the time of a one-tree reset on a kernel's 75k-file index. The reset, which
        // also rewrites every tracked file that differs from the index, repairs a tree in any other state.
        if (settled == null || settled == treeId || !Git.TryRun(["read-tree", "-m", "-u", settled, treeId]).Succeeded)
        {
            Git.Run("read-tree", "--reset", "-u", treeId);
            builtFrom = null;
        }
        SaveState(new BuildTreeState(treeId, buildKey, configHash, Built: false, ObjectsFrom: builtFrom));
        return builtFrom;
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
    /// Runs the build command in the tree; logs to $GIT_DIR/ksplice/logs/&lt;label&gt;.log. <paramref name="what"/>
    /// names the state for messages; <paramref name="whileBuilding"/> runs once the build has started.
    /// </summary>
    /// <remarks>
    /// In a plain Makefile's tree the wrapper records every object's sectioned compile; with
    /// <paramref name="copiesBeside"/> (an update's build, which compiles only what changed) it also compiles each
    /// copy beside its object. A pre state's build does not: the copies a later change needs are compiled then
    /// (<see cref="CompileCopies"/>), so a cold create costs one full build. The exceptions are the objects of
    /// <paramref name="copiesOfSources"/> (paths relative to the tree): the sources a create's change touches, whose
    /// pre copies it will need.
    /// </remarks>
    /// <remarks><paramref name="objectsOnly"/>: the command builds only the objects a change touches (Kbuild).</remarks>
    public string Build(BuildSettings settings, bool kbuild, string label, string what, ToolOutput output,
        CancellationToken cancel = default, Action? whileBuilding = null, bool copiesBeside = false, bool objectsOnly = false,
        IReadOnlyCollection<string>? copiesOfSources = null)
    {
        Directory.CreateDirectory(LogDir);
        // From the build's start the objects are this source's, made or half-made: those of an earlier state
        // are not trusted again, whether the build fails or is killed.
        if (State is { ObjectsFrom: not null } moved) SaveState(moved with { ObjectsFrom = null });
        var log = repository.Layout.Log(label);
        File.WriteAllText(log, $"$ {settings.Command}\n# in {Root}\n");
        output.Verbose($"building {what}: {settings.Command} (log: {log})");
        var env = settings.BuildEnvironment(kbuild, WrapperDir, Root, SectionedObjects(kbuild));
        if (copiesBeside && !kbuild) env["GIT_KSPLICE_SECTIONED"] = "1";
        var sourcesList = Root + ".sectioned-sources";
        File.Delete(sourcesList);
        if (!copiesBeside && !kbuild && copiesOfSources is { Count: > 0 })
        {
            File.WriteAllLines(sourcesList, copiesOfSources);
            env["GIT_KSPLICE_SECTIONED_SOURCES"] = sourcesList;
        }
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
        finally
        {
            output.EndStatus();
            File.Delete(sourcesList);
        }
        var state = State!;
        SaveState(state with { Built = exit == 0, ObjectsOnly = objectsOnly });
        var (hits, misses) = statsLog != null ? LastBuild.CcacheCounts(statsLog) : (0, 0);
        new LastBuild(label, DateTimeOffset.UtcNow, settings.EffectiveLauncher, statsLog != null ? hits : null, statsLog != null ? misses : null)
            .Write(repository.Layout.LastBuild);
        if (exit != 0 && NoSpace.Explain(NoSpace.Says(File.ReadAllText(log))) is { } full) throw new UserError($"{full} (building {what}; see the log: {log})");
        if (exit != 0) throw new BuildFailedException(what, exit, log);
        return log;
    }

    /// <summary>
    /// The objects a plain Makefile's build holds (those with a source in the tree), each with the record of its
    /// sectioned compile: every object compared comes from the build that made the tree's object. The wrapper
    /// gives each record (and copy) the mtime of the object it was made with; an object with no record, or whose
    /// record has another mtime, was written by something else (a rule running a compiler by its path instead of
    /// $(CC)), and a copy compiled from a stale record would ship stale code or hide the change. That stops the
    /// create, and the object is removed so that the next build compiles it again rather than trusting it.
    /// </summary>
    public IReadOnlyList<RecordedObject> CheckedRecords()
    {
        var objects = new List<RecordedObject>();
        var missing = new List<string>();
        var stale = new List<string>();
        foreach (var (rel, built) in ChangedOutputs.Enumerate(Root, ChangedOutputs.Objects(Root)))
        {
            var record = new FileInfo(RecordOf(rel));
            if (!record.Exists) missing.Add(rel);
            else if (record.LastWriteTimeUtc != built.LastWriteTimeUtc) stale.Add(rel);
            else
            {
                var copy = new FileInfo(CopyOf(rel));
                objects.Add(new RecordedObject(rel, built, new FileStamp(record.Length, record.LastWriteTimeUtc),
                    copy.Exists && copy.LastWriteTimeUtc == built.LastWriteTimeUtc));
            }
        }
        if (missing.Count + stale.Count == 0) return objects;
        MarkUnbuilt();
        foreach (var rel in missing.Concat(stale)) File.Delete(Path.Combine(Root, rel));
        var all = missing.Concat(stale).ToList();
        var why = missing.Count > 0
            ? $"no copy of {Names(missing)} with a section per function exists to compare"
            : $"the copy of {Names(stale)} with a section per function is from an earlier build";
        throw new UserError($"{Names(all)} {(all.Count == 1 ? "was" : "were")} compiled without git-ksplice's compiler wrapper, " +
            $"so {why}; compile objects through $(CC) (or gcc or cc from PATH), not a compiler's full path");

        static string Names(IReadOnlyList<string> paths) =>
            string.Join(", ", paths.Order(StringComparer.Ordinal).Take(5)) + (paths.Count > 5 ? $" and {paths.Count - 5} more" : "");
    }

    /// <summary>The sectioned copy of an object of the tree (a plain Makefile's), by its path relative to the tree.</summary>
    public string CopyOf(string relative) => Path.Combine(ObjectCopies, relative);

    /// <summary>The record of the compile that makes <see cref="CopyOf"/>.</summary>
    public string RecordOf(string relative) => CopyOf(relative) + RecordSuffix;

    /// <summary>
    /// Compiles sectioned copies from their records, up to the build's jobs at a time, each into a temporary file
    /// that takes the stamp given (its object's mtime) and then its place. The records name the tree's
    /// directories, so the tree must hold the source they were recorded from. A failed compile is an error
    /// naming the object and the compiler's first message.
    /// </summary>
    public void CompileCopies(IReadOnlyList<(string Object, string Record, string Copy, DateTime Stamp)> copies, BuildSettings settings,
        CancellationToken cancel)
    {
        if (copies.Count == 0) return;
        var env = settings.BuildEnvironment(kbuild: false, WrapperDir, Root, ObjectCopies);
        try
        {
            Parallel.ForEach(copies, new ParallelOptions { MaxDegreeOfParallelism = settings.Jobs, CancellationToken = cancel }, copy =>
            {
                var fields = File.ReadAllText(copy.Record).Split('\0');
                if (fields.Length < 4 || fields[^1] != "") throw new UserError($"the record of {copy.Object}'s sectioned compile is damaged: {copy.Record}");
                var (directory, recordedCopy, command) = (fields[0], fields[1], fields[2..^1]);
                var temp = copy.Copy + ".tmp";
                Directory.CreateDirectory(Path.GetDirectoryName(copy.Copy)!);
                var r = CommandRunner.Run(directory, command[0], command[1..].Select(a => a == recordedCopy ? temp : a), env, cancel: cancel);
                if (!r.Succeeded)
                {
                    File.Delete(temp);
                    var first = r.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? $"exit {r.ExitCode}";
                    throw new UserError($"the compile of {copy.Object} with one section per function failed: {first}");
                }
                File.SetLastWriteTimeUtc(temp, copy.Stamp);
                File.Move(temp, copy.Copy, overwrite: true);
            });
        }
        catch (AggregateException e) when (e.InnerExceptions.FirstOrDefault(x => x is UserError or OperationCanceledException) is { } first)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(first);
        }
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
        if (Directory.Exists(ObjectCopies)) Directory.Delete(ObjectCopies, recursive: true);
        Directory.CreateDirectory(Path.GetDirectoryName(Root)!);
        File.Delete(IndexFile);
        File.Delete(StateFile);
    }

    private static bool FilesEqual(string a, string b) =>
        new FileInfo(a).Length == new FileInfo(b).Length && File.ReadAllBytes(a).AsSpan().SequenceEqual(File.ReadAllBytes(b));
}
