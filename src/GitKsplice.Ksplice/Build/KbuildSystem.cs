using GitKsplice.Git;
using GitKsplice.Processes;
using LibGit2Sharp;

namespace GitKsplice.Build;

/// <summary>
/// Linux's Kbuild: the sections come in through KCFLAGS, so the tree's own objects are the sectioned ones; a
/// warm post build makes only the objects the change touches (<see cref="KbuildTargets"/>), without relinking
/// vmlinux; and the objects a change adds or deletes are read from git, not from a walk of the whole tree.
/// </summary>
public class KbuildSystem(KspliceRepository repository) : BuildSystem(repository)
{
    /// <summary>Whether <paramref name="source"/> is a Kbuild tree, seen from the commit, before any checkout.</summary>
    internal static bool Builds(Tree source) =>
        source["Kbuild"] != null ||
        (source["Makefile"]?.Target is Blob makefile && makefile.GetContentText().Contains("KBUILD_", StringComparison.Ordinal));

    protected override string Recipe => "kbuild: KCFLAGS, fixed KBUILD_BUILD_VERSION and KBUILD_BUILD_TIMESTAMP";

    public override string CompilerFlags => "KCFLAGS=" + BuildSettings.SectionFlags;

    /// <summary>Kbuild's compiler variables, each with the compiler Kbuild gives it (gcc builds).</summary>
    private static readonly (string Variable, string Compiler)[] Compilers = [("CC", "$$(CROSS_COMPILE)gcc"), ("HOSTCC", "gcc")];

    /// <summary>
    /// The environment of every make in the tree (the livepatch module's too): the section flags in KCFLAGS,
    /// the compiler launcher in CC and HOSTCC, and a fixed build version and time.
    /// </summary>
    public Dictionary<string, string?> Environment(BuildSettings settings, string treeRoot)
    {
        var env = settings.CommonEnvironment(treeRoot);
        // Kbuild sets CC and HOSTCC itself; a variable in MAKEFLAGS counts as one given on make's command line,
        // so it wins there and in every sub-make without editing the build command. HOSTCC compiles the host
        // tools (fixdep, scripts/): they go through the launcher as every other compile.
        foreach (var (variable, compiler) in Compilers)
            if (LauncherApplies(settings) && !AssignsVariable(settings.Command, variable))
                env["MAKEFLAGS"] += $" {variable}=" + MakeWord(string.Join(' ', settings.Launcher.Select(PosixShell.Quote)) + " " + compiler);
        var prefixMap = BuildSettings.PrefixMap(treeRoot);
        env["KCFLAGS"] = BuildSettings.Appended("KCFLAGS", settings.Relocatable ? BuildSettings.SectionFlags + " " + prefixMap : BuildSettings.SectionFlags);
        // The host tools too (scripts/, objtool, which compile with -g): with debug information, ccache hashes
        // the directory a compile runs in unless its path is mapped, so another clone would miss every one.
        if (settings.Relocatable) env["HOSTCFLAGS"] = BuildSettings.Appended("HOSTCFLAGS", prefixMap);
        // Kbuild stamps a build counter and the time into init/version-timestamp.o at every link: fixed
        // values keep the pre and post builds of that object identical (a user's own values win).
        env["KBUILD_BUILD_VERSION"] = System.Environment.GetEnvironmentVariable("KBUILD_BUILD_VERSION") ?? "1";
        env["KBUILD_BUILD_TIMESTAMP"] = System.Environment.GetEnvironmentVariable("KBUILD_BUILD_TIMESTAMP") ?? "Thu Jan  1 00:00:00 UTC 1970";
        return env;
    }

    /// <summary>
    /// ksplice.compilerLauncher applies to each compiler variable the build command does not set: with no
    /// launcher named in the command, or the same one (make CC="ccache gcc" with ccache set: HOSTCC gets it).
    /// </summary>
    private static bool LauncherApplies(BuildSettings settings) => settings.Launcher.Count > 0 &&
        (settings.CommandLauncher == null || settings.CommandLauncher == Path.GetFileName(settings.Launcher[0]));

    /// <summary>Whether <paramref name="command"/> sets the make variable (VAR=… as a word of its own), so its value wins and is kept.</summary>
    private static bool AssignsVariable(string command, string variable) =>
        System.Text.RegularExpressions.Regex.IsMatch(command, $@"(^|[\s""']){variable}=");

    /// <summary>A value for a variable in MAKEFLAGS, where a space inside a word is escaped with a backslash.</summary>
    private static string MakeWord(string value) => value.Replace("\\", "\\\\").Replace(" ", "\\ ");

    public override void BuildPre(BuildJob job, string label, Action? whileBuilding, IReadOnlyCollection<string>? touchedSources) =>
        job.Tree.Build(job.Settings, Environment(job.Settings, job.Tree.Root), label, "the pre state", job.Output, job.Cancel, whileBuilding);

    protected override IEnumerable<SnapshotOutput> SnapshotObjects(BuildJob job) =>
        ChangedOutputs.Enumerate(job.Tree.Root, ChangedOutputs.Objects(job.Tree.Root))
            .Select(o => new SnapshotOutput(job.Tree.Root, o.Path, o.Stamp, Replaced: false));

    /// <summary>
    /// Builds the post state: only the objects the change touches when the tree was built before, else the
    /// whole tree incrementally. While it builds: the files the change adds and deletes, and the pre snapshot's
    /// objects, are listed.
    /// </summary>
    public override PostBuild BuildPost(BuildJob job, PostChange change, string label, Action whileBuilding)
    {
        var targets = change.BuiltFrom is { } builtFrom && !change.LinksModules ? TargetsOf(job, change, builtFrom) : null;
        Task<SourceChanges>? sourceChanges = null;
        IReadOnlyDictionary<string, FileStamp>? preObjects = null;
        void WhileBuilding()
        {
            whileBuilding();
            sourceChanges = SourceChangesOf(change.PreTree, change.PostTree);
            preObjects = ChangedOutputs.SnapshotObjects(job.PreOutputs.Root);
        }
        if (targets is { Objects.Count: 0 })
        {
            job.Output.Verbose("the change touches no object of the last build: nothing to build");
            job.Tree.MarkBuilt(objectsOnly: true);
            WhileBuilding();
        }
        else
            job.Tree.Build(targets != null ? job.Settings.WithCommand(targets.Command(job.Settings.Command)) : job.Settings,
                Environment(job.Settings, job.Tree.Root), label, "the post state", job.Output, job.Cancel, WhileBuilding, objectsOnly: targets != null);
        return new Built(job, preObjects!, sourceChanges!);
    }

    /// <summary>
    /// In a tree built before at <paramref name="builtFrom"/>: the objects the move to the post source touches,
    /// built as single-object targets (vmlinux is not relinked: the livepatch module is linked against the pre
    /// build's symbols), or null for the full incremental build, which says why.
    /// </summary>
    private KbuildTargets? TargetsOf(BuildJob job, PostChange change, string builtFrom)
    {
        var fields = Repository.Git
            .Run(["diff-tree", "-r", "-z", "--name-status", "--no-renames", builtFrom, change.PostTree])
            .Split('\0', StringSplitOptions.RemoveEmptyEntries);
        // ORIG_CONFIG in the source tree (<tree>/ksplice) is not an input of make: its .config comes in
        // through the configuration's hash, and the running kernel's System.map and image are ours to read.
        var configDir = change.ConfigDirectory is { } dir && Repository.WorkDir is { } work && Path.GetRelativePath(work, dir) is var relative
            && !relative.StartsWith("..", StringComparison.Ordinal) && !Path.IsPathRooted(relative) ? relative + "/" : null;
        var changed = new List<(string, bool)>();
        for (var i = 0; i + 1 < fields.Length; i += 2)
            if (configDir == null || !fields[i + 1].StartsWith(configDir, StringComparison.Ordinal)) changed.Add((fields[i + 1], fields[i] != "D"));
        var targets = KbuildTargets.For(job.Tree.Root, changed, job.Settings.Command);
        if (targets.FullBuildReason is { } why)
        {
            job.Output.Info($"building the whole tree incrementally: {why}");
            return null;
        }
        job.Output.Verbose($"building the {targets.Objects.Count} object(s) the change touches: {string.Join(' ', targets.Objects.Take(10))}");
        return targets;
    }

    /// <summary>Files the post source adds to and deletes from the pre source: where objects come and go.</summary>
    private Task<SourceChanges> SourceChangesOf(string preTree, string postTree) =>
        Task.Run(() =>
        {
            var fields = Repository.Git
                .Run(["diff-tree", "-r", "-z", "--name-status", "--no-renames", "--diff-filter=AD", preTree, postTree])
                .Split('\0', StringSplitOptions.RemoveEmptyEntries);
            var added = new List<string>();
            var deleted = new List<string>();
            for (var i = 0; i + 1 < fields.Length; i += 2) (fields[i] == "A" ? added : deleted).Add(fields[i + 1]);
            return new SourceChanges(added, deleted);
        });

    /// <summary>A built post state of a Kbuild tree: its objects are the tree's own.</summary>
    private sealed class Built(BuildJob job, IReadOnlyDictionary<string, FileStamp> preObjects, Task<SourceChanges> sourceChanges) : PostBuild
    {
        public override string ObjectRoot => job.Tree.Root;

        public override IReadOnlyList<ChangedOutput> ChangedObjects() =>
            ChangedOutputs.FindObjects(job.PreOutputs.Root, preObjects, ObjectRoot,
                PostObjects(preObjects, job.Tree.Root, sourceChanges.GetAwaiter().GetResult()));
    }

    /// <summary>
    /// The objects of the post build, found without walking the tree (a warm create would stat every file of a
    /// kernel): the pre snapshot's objects whose source is still there, and those of the sources the change adds.
    /// An object whose source the change deletes is a leftover of an earlier build, never compared.
    /// </summary>
    internal static IEnumerable<(string Path, FileStamp? Stamp)> PostObjects(IReadOnlyDictionary<string, FileStamp> snapshot,
        string sourceRoot, SourceChanges changes)
    {
        // The snapshot holds only objects with a source (it was taken through Objects), so only the objects of
        // deleted and added sources need that check.
        var isObject = ChangedOutputs.Objects(sourceRoot);
        var gone = changes.Deleted.Select(ChangedOutputs.ObjectOf).OfType<string>()
            .Where(obj => snapshot.ContainsKey(obj) && !isObject.Matches(obj))
            .ToHashSet(StringComparer.Ordinal);
        var added = changes.Added.Select(ChangedOutputs.ObjectOf).OfType<string>()
            .Where(obj => !snapshot.ContainsKey(obj) && isObject.Matches(obj))
            .Distinct(StringComparer.Ordinal);
        return snapshot.Keys.Where(obj => !gone.Contains(obj)).Concat(added).Select(obj => (obj, (FileStamp?)null));
    }
}
