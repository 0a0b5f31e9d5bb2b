using GitKsplice.Git;
using GitKsplice.Reporting;
using LibGit2Sharp;

namespace GitKsplice.Build;

/// <summary>What a build of one state works with: the tree, the pre snapshot, the settings, where to report.</summary>
public sealed record BuildJob(BuildTree Tree, OutputSnapshot PreOutputs, BuildSettings Settings, ToolOutput Output, CancellationToken Cancel);

/// <summary>
/// The move a post build makes: from the pre source to the post source (git trees), the source the build tree
/// held built before the move (null: unknown), whether the modules must be linked (--build-modules), and
/// ORIG_CONFIG's directory (never an input of the build).
/// </summary>
public sealed record PostChange(string PreTree, string PostTree, string? BuiltFrom, bool LinksModules, string? ConfigDirectory);

/// <summary>A built post state: where its sectioned objects are, and which of them differ from the pre state's.</summary>
public abstract class PostBuild
{
    /// <summary>Where the post state's objects with a section per function are.</summary>
    public abstract string ObjectRoot { get; }

    /// <summary>The objects whose bytes differ between the pre and post states, sorted by path.</summary>
    public abstract IReadOnlyList<ChangedOutput> ChangedObjects();
}

/// <summary>
/// A tree's build system, seen from its pre commit: how every object gets its own function and data sections
/// without editing the user's build, how the pre and post states are built, what the pre snapshot keeps, and
/// how an update's changed objects are found. The create passes call it and know no build system's rules.
/// </summary>
public abstract class BuildSystem(KspliceRepository repository)
{
    protected KspliceRepository Repository { get; } = repository;

    /// <summary>The build system of the source <paramref name="pre"/>, before any checkout.</summary>
    public static BuildSystem Of(KspliceRepository repository, Tree pre) =>
        KbuildSystem.Builds(pre) ? new KbuildSystem(repository) : new WrappedMakefileSystem(repository);

    /// <summary>Names how this system builds, in the build key: change it when that changes, so trees built the old way are rebuilt.</summary>
    protected abstract string Recipe { get; }

    /// <summary>Identifies everything that makes two builds of the same source differ; a change forces a clean build.</summary>
    public string Key(BuildSettings settings) => settings.Key(Recipe);

    /// <summary>How the objects got their sections, as the manifest records it.</summary>
    public abstract string CompilerFlags { get; }

    /// <summary>
    /// Starts making what a pre build runs that the build tree does not hold (a compiler wrapper), while the tree
    /// is written; the build makes it itself should this fail.
    /// </summary>
    public virtual Task PrepareTools(BuildSettings settings, CancellationToken cancel) => Task.CompletedTask;

    /// <summary>
    /// Builds the pre state, which the tree holds; <paramref name="touchedSources"/>: the sources (paths relative
    /// to the tree) a create's change touches, whose pre objects its comparison will need.
    /// </summary>
    public abstract void BuildPre(BuildJob job, string label, Action? whileBuilding, IReadOnlyCollection<string>? touchedSources);

    /// <summary>
    /// --prebuild, with the tree built at the pre source and its snapshot taken: makes now what later creates
    /// would otherwise move the tree back to the pre source for.
    /// </summary>
    public virtual void PrepareLaterCreates(BuildJob job, SnapshotState snapshot) { }

    /// <summary>Copies the outputs of the pre state, which the tree holds built, into the snapshot; returns how many were copied.</summary>
    public int Snapshot(BuildJob job, SnapshotState state)
    {
        var modules = ChangedOutputs.Enumerate(job.Tree.Root, ChangedOutputs.Matching(job.Settings.ModuleGlobs))
            .Select(o => new SnapshotOutput(job.Tree.Root, o.Path, o.Stamp, Replaced: false));
        return job.PreOutputs.Refresh(SnapshotObjects(job).Concat(modules), state);
    }

    /// <summary>The pre state's objects the snapshot keeps, with where each is now.</summary>
    protected abstract IEnumerable<SnapshotOutput> SnapshotObjects(BuildJob job);

    /// <summary>
    /// Builds the post state, which the tree holds; <paramref name="whileBuilding"/> runs once the build has
    /// started (or at once, when nothing needs building).
    /// </summary>
    public abstract PostBuild BuildPost(BuildJob job, PostChange change, string label, Action whileBuilding);
}
