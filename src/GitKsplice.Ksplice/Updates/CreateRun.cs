using System.Runtime.CompilerServices;
using GitKsplice.Build;
using GitKsplice.Git;
using LibGit2Sharp;

namespace GitKsplice.Updates;

/// <summary>
/// One create on its way through the passes of <see cref="UpdateCreator"/>: what is fixed before the first
/// pass (the request, the id, the pre state, the settings, the build lock) and what each pass finds for the
/// passes after it. A pass reading something no earlier pass made is a bug, and says so. Disposing the run
/// releases what it holds: an unpublished tarball is abandoned, an unused ref transaction aborted, the lock
/// released.
/// </summary>
public sealed class CreateRun : IDisposable
{
    private readonly IDisposable _lock;

    internal CreateRun(CreateRequest request, UpdateId id, Commit pre, BuildSystem buildSystem, BuildJob job, OriginalConfig config,
        IDisposable buildLock)
    {
        Request = request;
        Id = id;
        Pre = pre;
        BuildSystem = buildSystem;
        Job = job;
        Config = config;
        _lock = buildLock;
    }

    public CreateRequest Request { get; }
    public UpdateId Id { get; }
    /// <summary>The commit the running kernel was built from (refs/ksplice/pre).</summary>
    public Commit Pre { get; }
    /// <summary>The pre source's build system: how the states are built and their changed objects found.</summary>
    public BuildSystem BuildSystem { get; }
    /// <summary>The tree, the pre snapshot and the settings every build of this create works with.</summary>
    public BuildJob Job { get; }
    public BuildSettings Settings => Job.Settings;
    public OriginalConfig Config { get; }
    /// <summary>The one tree every state is built in, incrementally.</summary>
    public BuildTree Tree => Job.Tree;
    public CancellationToken Cancel => Job.Cancel;
    public string Describe => Request.Change.Describe();

    // Made by the passes, in their order.
    private ResolvedChange? _change;
    private Commit? _postCommit;
    private PostBuild? _postBuild;
    private IReadOnlyList<ChangedOutput>? _changedObjects;
    private IReadOnlyList<ChangedOutput>? _modules;
    private List<ObjectEntry>? _entries;
    private List<ObjectEntry>? _lineOnly;
    private Manifest? _manifest;
    private UpdateVerdict? _verdict;

    /// <summary>The post state's source tree and patch (resolve the change).</summary>
    public ResolvedChange Change { get => Made(_change); set => _change = value; }
    /// <summary>The update's post commit: the user's, or a synthetic one on top of pre (resolve the change).</summary>
    public Commit PostCommit { get => Made(_postCommit); set => _postCommit = value; }
    /// <summary>The source the build tree held built before the move to the post state; null: unknown, build it all (resolve the change).</summary>
    public string? BuiltFrom { get; set; }
    /// <summary>The ref transaction that will record the update, started while the post state builds (build post).</summary>
    public NotesEdit? Recording { get; set; }
    /// <summary>The built post state, which finds its changed objects (build post).</summary>
    public PostBuild PostBuild { get => Made(_postBuild); set => _postBuild = value; }
    /// <summary>The objects whose bytes differ between the pre and post states (find changed objects).</summary>
    public IReadOnlyList<ChangedOutput> ChangedObjects { get => Made(_changedObjects); set => _changedObjects = value; }
    /// <summary>With --build-modules, the modules that differ (find changed objects).</summary>
    public IReadOnlyList<ChangedOutput> Modules { get => Made(_modules); set => _modules = value; }
    /// <summary>The tarball being written, from the changed objects on; null for a validation run (find changed objects).</summary>
    public TarballWriter? Tarball { get; set; }
    /// <summary>The changed objects with a functional change, and those whose only change is line numbers (analyse).</summary>
    public List<ObjectEntry> Entries { get => Made(_entries); set => _entries = value; }
    public List<ObjectEntry> LineOnly { get => Made(_lineOnly); set => _lineOnly = value; }
    /// <summary>What was built from what, and what changed (judge).</summary>
    public Manifest Manifest { get => Made(_manifest); set => _manifest = value; }
    /// <summary>The update extracted for a livepatch module, with what livepatch refuses (livepatch checked); null: no module.</summary>
    public Livepatch.ModulePlan? LivepatchPlan { get; set; }
    /// <summary>Hot-patchable, or unsafe but forced (judge).</summary>
    public UpdateVerdict Verdict { get => _verdict ?? throw NotYetMade(); set => _verdict = value; }

    private static T Made<T>(T? value, [CallerMemberName] string name = "") where T : class => value ?? throw NotYetMade(name);

    private static InvalidOperationException NotYetMade([CallerMemberName] string name = "") =>
        new($"{name} is read before the pass that makes it ran");

    public void Dispose()
    {
        Tarball?.Dispose();
        Recording?.Dispose();
        _lock.Dispose();
    }
}
