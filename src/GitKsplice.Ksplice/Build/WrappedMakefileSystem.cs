using GitKsplice.Git;
using GitKsplice.Processes;
using GitKsplice.Reporting;

namespace GitKsplice.Build;

/// <summary>
/// An object of a plain Makefile's build with its stamp and the compile git-ksplice's wrapper recorded for its
/// sectioned copy (<see cref="WrappedMakefileSystem.RecordSuffix"/>); CopyMade says whether that copy was compiled beside it.
/// </summary>
internal sealed record RecordedObject(string Path, FileStamp Object, FileStamp Record, bool CopyMade);

/// <summary>
/// A plain Makefile that calls gcc or cc, built as written (its link pays nothing for a section per function):
/// a compiler wrapper first on PATH records, beside each object, the compile of a copy with one section per
/// function, and an update's build compiles those copies beside its objects. The pre build compiles no copies
/// but those of the sources its create's change touches: only the objects a change rebuilds ever need them.
/// </summary>
public sealed class WrappedMakefileSystem(KspliceRepository repository) : BuildSystem(repository)
{
    /// <summary>Beside a sectioned copy's path: the compile that makes it (directory, copy, command; NUL-ended).</summary>
    internal const string RecordSuffix = ".cmdline";

    private string WrapperDir => Repository.Layout.CompilerWrapper;

    protected override string Recipe =>
        "wrapper: the build as written, each object's sectioned compile recorded (and run beside it in an update's build), stamped with their object's mtime";

    public override string CompilerFlags => "compiler wrapper, copies beside the build: " + BuildSettings.SectionFlags;

    /// <summary>The environment of a build: the compiler wrapper first on PATH, told the tree and where the sectioned copies go.</summary>
    private Dictionary<string, string?> Environment(BuildSettings settings, BuildTree tree)
    {
        var env = settings.CommonEnvironment(tree.Root);
        CompilerWrapper.Write(WrapperDir, settings);
        env["PATH"] = WrapperDir + Path.PathSeparator + System.Environment.GetEnvironmentVariable("PATH");
        env["GIT_KSPLICE_TREE"] = tree.Root;
        env["GIT_KSPLICE_OBJECTS"] = tree.Paths.SectionedCopies;
        return env;
    }

    public override Task PrepareTools(BuildSettings settings, CancellationToken cancel) =>
        Task.Run(() => CompilerWrapper.Write(WrapperDir, settings), cancel);

    /// <summary>Builds the pre state, compiling beside their objects the sectioned copies of <paramref name="touchedSources"/> only.</summary>
    public override void BuildPre(BuildJob job, string label, Action? whileBuilding, IReadOnlyCollection<string>? touchedSources)
    {
        var env = Environment(job.Settings, job.Tree);
        var sourcesList = job.Tree.Paths.SectionedSources;
        File.Delete(sourcesList);
        if (touchedSources is { Count: > 0 })
        {
            File.WriteAllLines(sourcesList, touchedSources);
            env["GIT_KSPLICE_SECTIONED_SOURCES"] = sourcesList;
        }
        RemoveHalfMade(job.Tree);
        try { job.Tree.Build(job.Settings, env, label, "the pre state", job.Output, job.Cancel, whileBuilding); }
        finally { File.Delete(sourcesList); }
    }

    /// <summary>
    /// --prebuild compiles "the original source that will be needed to build future updates": here, also every
    /// object's sectioned pre copy not made yet, compiled from the pre snapshot's records while the tree holds
    /// the pre source built, so no later create moves the tree back to the pre source for one. A cold create
    /// does not: it costs one full build plus the update's own.
    /// </summary>
    public override void PrepareLaterCreates(BuildJob job, SnapshotState snapshot)
    {
        // The records name the tree's directories: compiled elsewhere than in the built pre state, a copy would be wrong.
        if (job.Tree.State is not { Built: true, Moving: false, ObjectsOnly: false } state || state.SourceTree != snapshot.SourceTree ||
            state.BuildKey != snapshot.BuildKey || state.ConfigHash != snapshot.ConfigHash)
            return;
        var pre = job.PreOutputs.Root;
        var missing = SnapshotRecords(pre)
            .Select(record => (Object: record.Key, Record: Path.Combine(pre, record.Key + RecordSuffix),
                Copy: Path.Combine(pre, record.Key), Stamp: record.Value.LastWriteTimeUtc))
            .Where(copy => new FileInfo(copy.Copy) is not { Exists: true } made || made.LastWriteTimeUtc != copy.Stamp)
            .ToList();
        if (missing.Count == 0) return;
        job.Output.Info($"compiling the sectioned copies of {missing.Count} object(s) for later updates");
        CompileCopies(job, missing);
    }

    /// <summary>
    /// What the pre snapshot keeps of each object: the record of its sectioned compile, and its sectioned copy
    /// when one was made with it — compiled beside it, or kept from an earlier create of an object not rebuilt
    /// since (same mtime). The wrapper writes each record to a new file renamed over the old one, so the
    /// snapshot links to it; a copy, which gcc writes in place, is copied.
    /// </summary>
    protected override IEnumerable<SnapshotOutput> SnapshotObjects(BuildJob job)
    {
        var (tree, pre) = (job.Tree, job.PreOutputs.Root);
        foreach (var o in CheckedRecords(tree))
        {
            yield return new SnapshotOutput(tree.Paths.SectionedCopies, o.Path + RecordSuffix, o.Record, Replaced: true);
            var kept = new FileInfo(Path.Combine(pre, o.Path));
            if (o.CopyMade)
                yield return new SnapshotOutput(tree.Paths.SectionedCopies, o.Path,
                    new FileStamp(new FileInfo(CopyOf(tree, o.Path)).Length, o.Object.LastWriteTimeUtc), Replaced: false);
            else if (kept.Exists && kept.LastWriteTimeUtc == o.Object.LastWriteTimeUtc)
                yield return new SnapshotOutput(pre, o.Path, new FileStamp(kept.Length, kept.LastWriteTimeUtc), Replaced: false);
        }
    }

    /// <summary>
    /// The pre snapshot's objects: each one's stamp in the pre build, read from the record of its sectioned
    /// compile (which takes its object's mtime), from one walk of the snapshot.
    /// </summary>
    private static IReadOnlyDictionary<string, FileStamp> SnapshotRecords(string preRoot) =>
        ChangedOutputs.Enumerate(preRoot, ObjectRecords)
            .ToDictionary(f => f.Path[..^RecordSuffix.Length], f => f.Stamp, StringComparer.Ordinal);

    private static readonly OutputFilter ObjectRecords = new(_ => true, name => name.EndsWith(".o" + RecordSuffix, StringComparison.Ordinal));

    /// <summary>Builds the post state, each rebuilt object's sectioned copy compiled beside it; the pre snapshot is listed meanwhile.</summary>
    public override PostBuild BuildPost(BuildJob job, PostChange change, string label, Action whileBuilding)
    {
        var env = Environment(job.Settings, job.Tree);
        env["GIT_KSPLICE_SECTIONED"] = "1";
        IReadOnlyDictionary<string, FileStamp>? preObjects = null;
        RemoveHalfMade(job.Tree);
        job.Tree.Build(job.Settings, env, label, "the post state", job.Output, job.Cancel, () =>
        {
            whileBuilding();
            preObjects = SnapshotRecords(job.PreOutputs.Root);
        });
        return new Built(this, job, change, preObjects!);
    }

    /// <summary>A built post state of a plain Makefile: its objects are the sectioned copies beside the build.</summary>
    private sealed class Built(WrappedMakefileSystem system, BuildJob job, PostChange change, IReadOnlyDictionary<string, FileStamp> preObjects)
        : PostBuild
    {
        public override string ObjectRoot => job.Tree.Paths.SectionedCopies;

        /// <summary>
        /// The objects the post build rebuilt (their mtime is not the pre build's), compared by their sectioned
        /// copies: the post copy was compiled beside the object (else it is compiled now, from the tree's post
        /// source), and a pre copy not made by an earlier create is compiled from the pre build's record with the
        /// tree moved back to the pre source meanwhile.
        /// </summary>
        public override IReadOnlyList<ChangedOutput> ChangedObjects()
        {
            var (tree, pre) = (job.Tree, job.PreOutputs.Root);
            var rebuilt = CheckedRecords(tree)
                .Where(o => !preObjects.TryGetValue(o.Path, out var stamp) || stamp.LastWriteTimeUtc != o.Object.LastWriteTimeUtc)
                .ToList();
            system.CompileCopies(job, [.. rebuilt.Where(o => !o.CopyMade)
                .Select(o => (o.Path, RecordOf(tree, o.Path), CopyOf(tree, o.Path), o.Object.LastWriteTimeUtc))]);
            var preCopies = new Dictionary<string, FileStamp>(StringComparer.Ordinal);
            var toCompile = new List<(string, string, string, DateTime)>();
            foreach (var o in rebuilt)
            {
                if (!preObjects.TryGetValue(o.Path, out var stamp)) continue; // new in the post state
                var copy = new FileInfo(Path.Combine(pre, o.Path));
                if (copy.Exists && copy.LastWriteTimeUtc == stamp.LastWriteTimeUtc) preCopies[o.Path] = new FileStamp(copy.Length, copy.LastWriteTimeUtc);
                else toCompile.Add((o.Path, Path.Combine(pre, o.Path + RecordSuffix), copy.FullName, stamp.LastWriteTimeUtc));
            }
            if (toCompile.Count > 0)
            {
                job.Output.Verbose($"compiling the pre state's copies of {toCompile.Count} object(s) with a section per function");
                tree.WithSourceOf(change.PreTree, () => system.CompileCopies(job, toCompile));
                foreach (var (rel, _, copy, _) in toCompile)
                {
                    var made = new FileInfo(copy);
                    preCopies[rel] = new FileStamp(made.Length, made.LastWriteTimeUtc);
                }
            }
            return ChangedOutputs.FindObjects(pre, preCopies, ObjectRoot, rebuilt.Select(o => (o.Path, (FileStamp?)null)));
        }
    }

    /// <summary>
    /// The objects a plain Makefile's build holds (those with a source in the tree), each with the record of its
    /// sectioned compile: every object compared comes from the build that made the tree's object. The wrapper
    /// gives each record (and copy) the mtime of the object it was made with; an object with no record, or whose
    /// record has another mtime, was written by something else (a rule running a compiler by its path instead of
    /// $(CC)), and a copy compiled from a stale record would ship stale code or hide the change. That stops the
    /// create, and the object is removed so that the next build compiles it again rather than trusting it.
    /// </summary>
    private static IReadOnlyList<RecordedObject> CheckedRecords(BuildTree tree)
    {
        var (objects, missing, stale) = Records(tree);
        if (missing.Count + stale.Count == 0) return objects;
        tree.MarkUnbuilt();
        foreach (var rel in missing.Concat(stale)) File.Delete(Path.Combine(tree.Root, rel));
        var all = missing.Concat(stale).ToList();
        var why = missing.Count > 0
            ? $"no copy of {Names(missing)} with a section per function exists to compare"
            : $"the copy of {Names(stale)} with a section per function is from an earlier build";
        throw new UserError($"{Names(all)} {(all.Count == 1 ? "was" : "were")} compiled without git-ksplice's compiler wrapper, " +
            $"so {why}; compile objects through $(CC) (or gcc or cc from PATH), not a compiler's full path");

        static string Names(IReadOnlyList<string> paths) =>
            string.Join(", ", paths.Order(StringComparer.Ordinal).Take(5)) + (paths.Count > 5 ? $" and {paths.Count - 5} more" : "");
    }

    /// <summary>
    /// The tree's objects with a source: those with the record of their sectioned compile, and those whose record
    /// is missing or has another mtime than the object.
    /// </summary>
    private static (List<RecordedObject> Recorded, List<string> Missing, List<string> Stale) Records(BuildTree tree)
    {
        var objects = new List<RecordedObject>();
        var missing = new List<string>();
        var stale = new List<string>();
        foreach (var (rel, built) in ChangedOutputs.Enumerate(tree.Root, ChangedOutputs.Objects(tree.Root)))
        {
            var record = new FileInfo(RecordOf(tree, rel));
            if (!record.Exists) missing.Add(rel);
            else if (record.LastWriteTimeUtc != built.LastWriteTimeUtc) stale.Add(rel);
            else
            {
                var copy = new FileInfo(CopyOf(tree, rel));
                objects.Add(new RecordedObject(rel, built, new FileStamp(record.Length, record.LastWriteTimeUtc),
                    copy.Exists && copy.LastWriteTimeUtc == built.LastWriteTimeUtc));
            }
        }
        return (objects, missing, stale);
    }

    /// <summary>
    /// After a build that was killed: the objects it wrote without the records the wrapper writes once their
    /// compiles are done are removed, so this build compiles them again through the wrapper. Left in place they
    /// would be newer than their sources, skipped by make and taken for objects compiled without the wrapper.
    /// </summary>
    private static void RemoveHalfMade(BuildTree tree)
    {
        if (tree.State is not { BuildUnfinished: true }) return;
        var (_, missing, stale) = Records(tree);
        foreach (var rel in missing.Concat(stale)) File.Delete(Path.Combine(tree.Root, rel));
    }

    /// <summary>The sectioned copy of an object of the tree (a plain Makefile's), by its path relative to the tree.</summary>
    private static string CopyOf(BuildTree tree, string relative) => Path.Combine(tree.Paths.SectionedCopies, relative);

    /// <summary>The record of the compile that makes <see cref="CopyOf"/>.</summary>
    private static string RecordOf(BuildTree tree, string relative) => CopyOf(tree, relative) + RecordSuffix;

    /// <summary>
    /// Compiles sectioned copies from their records, up to the build's jobs at a time, each into a temporary file
    /// that takes the stamp given (its object's mtime) and then its place. The records name the tree's
    /// directories, so the tree must hold the source they were recorded from. A failed compile is an error
    /// naming the object and the compiler's first message.
    /// </summary>
    private void CompileCopies(BuildJob job, IReadOnlyList<(string Object, string Record, string Copy, DateTime Stamp)> copies)
    {
        if (copies.Count == 0) return;
        var (settings, cancel) = (job.Settings, job.Cancel);
        var env = Environment(settings, job.Tree);
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
}
