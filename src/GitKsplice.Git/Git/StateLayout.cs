namespace GitKsplice.Git;

/// <summary>
/// Every path git-ksplice keeps under $GIT_COMMON_DIR/ksplice, named here and nowhere else; gc and `status`
/// walk it through <see cref="Parts"/>.
/// <code>
/// build.lock, build.lock.holder    one build at a time (flock), and who holds it
/// build/tree[.index|.state|.objects|.sectioned-sources]  the one build tree, its index, its state, its
///                                  sectioned copies, and the sources whose copies its pre build compiles
/// build/pre-outputs[.state]        the pre state's outputs, copied aside once it is built
/// logs/&lt;label&gt;.log                 the build logs (pre-&lt;commit&gt;, post-&lt;id&gt;, livepatch-&lt;id&gt;)
/// logs/&lt;label&gt;.ccache-stats        ccache's stats log of a build through ccache
/// logs/last-build.json             the last build's launcher and cache hits, for `status`
/// livepatch/&lt;id&gt;/                 an update's livepatch module while Kbuild links it (removed after)
/// cc-wrapper/                      the compiler wrapper of plain Makefiles
/// compiler-version                 the compiler's --version, cached by path, size and mtime
/// updates/&lt;id&gt;/manifest.json       a copy of each recorded update's manifest, for `show`
/// pending/&lt;id&gt;.json                an update being recorded: its tarball is in place, its ref not yet
/// hook/                            the hook's queue, job lock and files, and one directory per checked commit
/// range-&lt;pid&gt;.index               the temporary index of a range applied on top of the pre state
/// patch-&lt;pid&gt;/                    a --patch create's patched files, while it stages them
/// </code>
/// </summary>
public sealed class StateLayout(string root)
{
    public string Root { get; } = root;

    public string BuildLock => Path.Combine(Root, "build.lock");
    public string BuildDir => Path.Combine(Root, "build");
    /// <summary>The build tree every state is built in, and the files kept beside it.</summary>
    public BuildTreePaths BuildTree => BuildTreeAt(Path.Combine(BuildDir, "tree"));
    private static BuildTreePaths BuildTreeAt(string root) =>
        new(root, root + ".index", root + ".state", root + ".objects", root + ".sectioned-sources");
    /// <summary>The pre state's outputs, copied aside once it is built.</summary>
    public string PreOutputs => Path.Combine(BuildDir, "pre-outputs");
    /// <summary>Which pre state <see cref="PreOutputs"/> holds.</summary>
    public string PreOutputsState => PreOutputs + ".state";
    public string Logs => Path.Combine(Root, "logs");
    public string Log(string label) => Path.Combine(Logs, label + ".log");
    /// <summary>ccache's stats log of one build (CCACHE_STATSLOG), beside its build log.</summary>
    public string CcacheStatsLog(string label) => Path.Combine(Logs, label + ".ccache-stats");
    /// <summary>The last build: its launcher and, with ccache, its hits (<see cref="Build.LastBuild"/>).</summary>
    public string LastBuild => Path.Combine(Logs, "last-build.json");
    /// <summary>Where Kbuild links an update's livepatch module (M=); removed once the module is read.</summary>
    public string LivepatchBuild(string id) => Path.Combine(Root, "livepatch", id);
    public string CompilerWrapper => Path.Combine(Root, "cc-wrapper");
    /// <summary>The directory holding the compiler version cache.</summary>
    public string CompilerVersionCache => Root;
    public string Updates => Path.Combine(Root, "updates");
    public string UpdateManifest(string id) => Path.Combine(Updates, id, "manifest.json");
    public string Pending => Path.Combine(Root, "pending");
    public string PendingRecord(string id) => Path.Combine(Pending, id + ".json");
    public string Hook => Path.Combine(Root, "hook");
    public string RangeIndex(int pid) => Path.Combine(Root, $"range-{pid}.index");
    public string PatchScratch(int pid) => Path.Combine(Root, $"patch-{pid}");

    /// <summary>
    /// The parts that exist, for gc and `status`: each build tree (with its companions) and the pre outputs
    /// under build/, then logs, updates and hook.
    /// </summary>
    public IEnumerable<StatePart> Parts()
    {
        if (Directory.Exists(BuildDir))
            foreach (var dir in Directory.EnumerateDirectories(BuildDir).Order(StringComparer.Ordinal))
            {
                if (dir.EndsWith(".objects", StringComparison.Ordinal)) continue; // a tree's sectioned copies go with it
                var name = "build/" + Path.GetFileName(dir);
                var tree = BuildTreeAt(dir);
                yield return dir == PreOutputs
                    ? new StatePart(StatePartKind.PreOutputs, name, dir, PreOutputsState, [PreOutputsState])
                    : new StatePart(StatePartKind.BuildTree, name, dir, tree.State, tree.Companions);
            }
        foreach (var (kind, path) in new[] { (StatePartKind.Logs, Logs), (StatePartKind.Updates, Updates), (StatePartKind.Hook, Hook) })
            if (Directory.Exists(path)) yield return new StatePart(kind, Path.GetFileName(path), path, null, []);
    }
}

public enum StatePartKind { BuildTree, PreOutputs, Logs, Updates, Hook }

/// <summary>
/// One part of the state directory: what it is, its name for people, its path, the file naming the source it
/// holds (null: none) and the files that go with it.
/// </summary>
public sealed record StatePart(StatePartKind Kind, string Name, string Path, string? StateFile, IReadOnlyList<string> Companions);

/// <summary>A build tree and the files kept beside it.</summary>
/// <param name="Root">The tree itself: the source of the state being built, and its outputs.</param>
/// <param name="Index">Its own git index, never the user's.</param>
/// <param name="State">Which source it holds and whether that is built (JSON).</param>
/// <param name="SectionedCopies">A plain Makefile's objects compiled again with a section per function, and their records.</param>
/// <param name="SectionedSources">While a pre build runs: the sources whose sectioned copies it compiles.</param>
public sealed record BuildTreePaths(string Root, string Index, string State, string SectionedCopies, string SectionedSources)
{
    public IReadOnlyList<string> Companions => [Index, State, SectionedCopies, SectionedSources];
}
