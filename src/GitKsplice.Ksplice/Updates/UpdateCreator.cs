using System.Security.Cryptography;
using GitKsplice.Analysis;
using GitKsplice.Build;
using GitKsplice.Git;
using GitKsplice.Reporting;
using LibGit2Sharp;

namespace GitKsplice.Updates;

/// <summary>What to build: the change and the options of ksplice-create.</summary>
public sealed record CreateRequest(ChangeSpec Change)
{
    /// <summary>The update's id; null picks a new random one.</summary>
    public UpdateId? Id { get; init; }
    public int? Jobs { get; init; }
    /// <summary>--launcher: the compiler launcher as words; null takes ksplice.compilerLauncher, empty is none.</summary>
    public IReadOnlyList<string>? Launcher { get; init; }
    public bool Series { get; init; }
    public bool BuildModules { get; init; }
    public string? ConfigDir { get; init; }
    public bool Force { get; init; }
    /// <summary>--replace: the livepatch module replaces every earlier one; null takes ksplice.replace.</summary>
    public bool? Replace { get; init; }
    /// <summary>--require-module: an update that cannot hold a livepatch module is an error, not a warning.</summary>
    public bool RequireModule { get; init; }
    /// <summary>Where ksplice-&lt;id&gt;.tar.gz goes; null builds and analyses without writing a tarball.</summary>
    public string? OutputDirectory { get; init; } = Environment.CurrentDirectory;
    /// <summary>Record the update (ref, note, manifest copy); off for a validation run.</summary>
    public bool Record { get; init; } = true;
}

/// <summary>
/// The ksplice-create pipeline, one named pass after another over a shared <see cref="CreateRun"/>: build the
/// pre state (cached) → resolve the change → build the post state (incrementally, in the same tree) → find the
/// changed objects → analyse them → judge → package the tarball → record the update (ref and note) → move
/// the series. A pass ends the create with an outcome or returns null to go on; a new pass goes in
/// <see cref="Passes"/>. Nothing is recorded and no ref moves unless every pass before succeeded.
/// </summary>
public sealed class UpdateCreator(KspliceRepository repository, IObjectAnalyzer analyzer, ToolOutput output)
{
    private readonly SeriesRefs _series = new(repository);
    private readonly UpdateStore _store = new(repository);
    private readonly StateLayout _layout = repository.Layout;
    private readonly KspliceSettings _settings = KspliceSettings.Read(repository);

    /// <summary>Told each long step as it starts ("building the pre state" once the build command runs, …), for progress reports.</summary>
    public Action<string>? OnStage { get; init; }

    private LivepatchPasses Livepatch => _livepatch ??= new(repository, _store, output, _settings.Replace) { OnStage = OnStage };
    private LivepatchPasses? _livepatch;

    /// <summary>The one tree every state is built in, incrementally.</summary>
    private BuildTree Tree => new(repository, _layout.BuildTree);
    /// <summary>The outputs of the pre state, copied aside once it is built.</summary>
    private OutputSnapshot PreOutputs => new(_layout.PreOutputs, _layout.PreOutputsState);

    private BuildJob Job(BuildSettings settings, CancellationToken cancel) => new(Tree, PreOutputs, settings, output, cancel);

    /// <summary>A step of create: reads what earlier passes put in the run, adds its own; an outcome ends the create.</summary>
    private delegate CreateOutcome? Pass(CreateRun run);

    private (string Name, Pass Run)[] Passes =>
    [
        ("pre state built", BuildPre),
        ("change resolved", ResolveChange),
        ("post state built", BuildPost),
        ("changed objects found", FindChangedObjects),
        ("objects analysed", Analyse),
        ("livepatch checked", Livepatch.Check),
        ("judged", Judge),
        ("livepatch module built", Livepatch.Build),
        ("packaged", Package),
        ("update recorded", Record),
        ("series moved", MoveSeries),
    ];

    /// <summary>
    /// Loads the hashing library (OpenSSL, about a millisecond) on another thread, for a command about to
    /// open the repository and create an update: every create hashes its settings and its objects.
    /// </summary>
    public static void PreloadHashing() => Task.Run(static () => SHA256.HashData(ReadOnlySpan<byte>.Empty));

    /// <summary>--prebuild: builds the pre tree (the running kernel's source) so later updates only build what changes.</summary>
    public Commit Prebuild(int? jobs, string? configDir, IReadOnlyList<string>? launcher = null, CancellationToken cancel = default)
    {
        var pre = ResolvePre();
        using var _ = StateLock.Acquire(_layout.BuildLock, "prebuild", output.Info, cancel);
        var job = Job(Settings(jobs, launcher), cancel);
        var config = LoadConfig(configDir);
        var system = BuildSystem.Of(repository, pre.Tree);
        EnsurePreBuilt(pre, system, job, config);
        // As ksplice-create --prebuild does, the tree goes back to the original source after earlier updates.
        var tree = job.Tree;
        var snapshot = new SnapshotState(pre.Tree.Sha, system.Key(job.Settings), config.Hash());
        if (tree.State is { } state && (state.SourceTree != pre.Tree.Sha || !state.Built || state.ObjectsOnly))
        {
            tree.Sync(pre.Tree.Sha, snapshot.BuildKey, snapshot.ConfigHash);
            tree.InstallConfig(config);
            output.Info($"reverting the build tree to the original source at {pre.Sha[..12]}");
            system.BuildPre(job, $"pre-{pre.Sha[..12]}", whileBuilding: null, touchedSources: null);
            // The objects the move back rebuilt are the pre state's now: the snapshot takes them, so the next
            // create does not take them for changed ones.
            Snapshot(system, job, snapshot);
        }
        system.PrepareLaterCreates(job, snapshot);
        return pre;
    }

    /// <summary>Runs the passes; bad input and failed steps throw, every expected ending is an outcome.</summary>
    public CreateOutcome Create(CreateRequest request, CancellationToken cancel = default)
    {
        using var run = Start(request, cancel);
        foreach (var (name, pass) in Passes)
        {
            if (pass(run) is { } ended) return ended;
            PerformanceTrace.Step(name);
        }
        return new CreateOutcome.Built(run.Manifest, run.Tarball?.Path, run.Verdict);
    }

    /// <summary>Checks the request, resolves the pre state and the settings, and takes the build lock.</summary>
    private CreateRun Start(CreateRequest request, CancellationToken cancel)
    {
        var id = request.Id ?? UpdateId.New();
        request.Change.Validate(repository);
        if (request.Record)
        {
            // The records must be readable before anything is built on them.
            _store.Notes.Check();
            // An id in use by another commit's update fails now, not after the builds (every kind is checked
            // once the change is resolved).
            var existing = _store.PostCommit(id);
            if (existing != null && request.Change is CommitChange commit && repository.ResolveCommit(commit.Revision).Sha != existing.Sha)
                throw UpdateStore.IdInUse(id, existing);
            // A tarball of that name that no recorded update of this id explains is not ours to overwrite.
            if (existing == null && request.OutputDirectory is { } directory &&
                Path.Combine(directory, UpdateStore.TarballName(id)) is var tarball && File.Exists(tarball))
                throw new UserError($"{Path.GetFullPath(tarball)} already exists, and no update '{id}' is recorded; move it away or choose another --id");
        }
        var pre = ResolvePre();
        var settings = Settings(request.Jobs, request.Launcher);
        var config = LoadConfig(request.ConfigDir);
        PerformanceTrace.Step("change checked, pre state and settings resolved");
        var buildLock = StateLock.Acquire(_layout.BuildLock, UpdateStore.LockLabel(id), output.Info, cancel);
        try { _store.RecoverUnderLock(output); }
        catch
        {
            buildLock.Dispose();
            throw;
        }
        return new CreateRun(request, id, pre, BuildSystem.Of(repository, pre.Tree), Job(settings, cancel), config, buildLock);
    }

    /// <summary>
    /// refs/ksplice/pre, or a new series started at HEAD when no update was ever built. A pre ref lost after
    /// updates were built is an error: starting again at HEAD would build updates against the wrong source.
    /// </summary>
    private Commit ResolvePre()
    {
        if (_series.Pre is { } pre) return pre;
        var recorded = _store.Refs();
        if (recorded.Count == 0) return _series.StartAtHead(output);
        var updates = _store.All();
        var series = updates.Where(u => u.Note is { Series: true }).ToList();
        // The last --series update is the one no other --series update was built on.
        var last = series.Where(u => !series.Any(other => other.Note!.Pre == u.Post))
            .OrderByDescending(u => repository.Repo.Lookup<Commit>(u.Post)?.Committer.When)
            .FirstOrDefault();
        throw new UserError(last != null
            ? $"{SeriesRefs.PreRef} is missing, but {recorded.Count} update(s) are recorded; the last --series update, '{last.Id}', " +
              $"moved it to its post commit {last.Post}: restore it with 'git ksplice series set {last.Post}'"
            : $"{SeriesRefs.PreRef} is missing, but {recorded.Count} update(s) are recorded (update '{updates[^1].Id}' was built on " +
              $"{updates[^1].Note?.Pre ?? "an unknown commit"}); mark the running kernel's source with 'git ksplice series set <commit>'");
    }

    private CreateOutcome? BuildPre(CreateRun run)
    {
        try { EnsurePreBuilt(run.Pre, run.BuildSystem, run.Job, run.Config, run.Request.Change); }
        catch (BuildFailedException e) { return new CreateOutcome.BuildFailed(e.What, e.BuildExitCode, e.LogPath); }
        return null;
    }

    /// <summary>The post state's source, its post commit, and the id checked against it; the tree moves to it.</summary>
    private CreateOutcome? ResolveChange(CreateRun run)
    {
        var tree = run.Tree;
        var buildKey = run.BuildSystem.Key(run.Settings);
        if (run.Request.Change is PatchChange)
            tree.Sync(run.Pre.Tree.Sha, buildKey, run.Config.Hash()); // a patch applies to the pre source
        var change = run.Change = run.Request.Change.Resolve(repository, run.Pre, tree, output);
        if (change.PostTree == run.Pre.Tree.Sha)
            return new CreateOutcome.NoCodeChange($"{run.Describe} makes no source change against {SeriesRefs.PreRef} ({run.Pre.Sha[..12]}); " +
                "mark the running kernel's source first with 'git ksplice series set <commit>'");
        run.PostCommit = change.PostCommit ?? _store.SyntheticPostCommit(run.Id, run.Pre, change.PostTree, run.Describe);
        // Before the build: an id recorded for another update is refused while nothing is built or written.
        if (run.Request.Record && _store.PostCommit(run.Id) is { } existing && existing.Sha != run.PostCommit.Sha)
            throw UpdateStore.IdInUse(run.Id, existing);
        run.BuiltFrom = tree.Sync(change.PostTree, buildKey, run.Config.Hash());
        tree.InstallConfig(run.Config);
        return null;
    }

    /// <summary>
    /// Builds the post state. While the build runs (one change keeps one core busy at most): start git for the
    /// ref transaction that records the update; the build system lists what its search needs meanwhile.
    /// </summary>
    private CreateOutcome? BuildPost(CreateRun run)
    {
        run.Recording = run.Request.Record ? _store.Notes.BeginEdit($"ksplice update {run.Id}") : null;
        output.Info($"building the update's post state ({run.Describe})");
        var change = new PostChange(run.Pre.Tree.Sha, run.Change.PostTree, run.BuiltFrom, run.Request.BuildModules, run.Config.Directory);
        try
        {
            run.PostBuild = run.BuildSystem.BuildPost(run.Job, change, UpdateStore.LogLabel(run.Id), () =>
            {
                OnStage?.Invoke("building the post state"); // once the build runs: a job killed now leaves it behind
                run.Recording?.StartGit();
            });
        }
        catch (BuildFailedException e) { return new CreateOutcome.BuildFailed(e.What, e.BuildExitCode, e.LogPath); }
        return null;
    }

    /// <summary>The objects (and with --build-modules, the modules) that differ; the tarball starts on them at once.</summary>
    private CreateOutcome? FindChangedObjects(CreateRun run)
    {
        run.ChangedObjects = run.PostBuild.ChangedObjects();
        output.Verbose($"{run.ChangedObjects.Count} object(s) differ between the pre and post states");
        run.Modules = run.Request.BuildModules
            ? ChangedOutputs.Find(run.Job.PreOutputs.Root, run.Tree.Root, ChangedOutputs.Matching(run.Settings.ModuleGlobs))
            : [];
        if (run.Request.OutputDirectory is { } directory)
            // Written while the objects are analysed; the manifest goes last, once the judge has made it.
            run.Tarball = TarballWriter.Start(Path.GetFullPath(Path.Combine(directory, UpdateStore.TarballName(run.Id))), UpdateStore.TarballRoot(run.Id),
                TarballFiles(run), run.PostCommit.Committer.When.UtcDateTime);
        return null;
    }

    /// <summary>Compares each changed object's two versions, function by function.</summary>
    private CreateOutcome? Analyse(CreateRun run)
    {
        OnStage?.Invoke("analysing the changed objects");
        run.Entries = [];
        run.LineOnly = [];
        // The patch tells which line numbers it moved: code that differs only in those is line-only, whatever it calls.
        var context = new ComparisonContext(PatchLines.Parse(run.Change.PatchText.GetAwaiter().GetResult())) { Cancel = run.Cancel };
        foreach (var obj in run.ChangedObjects)
        {
            run.Cancel.ThrowIfCancellationRequested();
            var comparison = analyzer.Compare(obj.PrePath, obj.PostPath, context);
            var entry = new ObjectEntry(obj.Path, obj.PrePath == null ? null : Sha256(obj.PrePath), Sha256(obj.PostPath),
                comparison.Changed, comparison.New, comparison.Removed, comparison.Unsafe, comparison.LineOnly)
            {
                Carried = comparison.Carried,
            };
            if (comparison.HasFunctionalChange) run.Entries.Add(entry);
            else if (comparison.LineOnly.Count > 0) run.LineOnly.Add(entry);
        }
        return null;
    }

    /// <summary>No functional change ends the create; so do unsafe changes without --force. Otherwise the manifest is made.</summary>
    private CreateOutcome? Judge(CreateRun run)
    {
        if (run.Entries.Count == 0)
        {
            var why = run.LineOnly.Count > 0
                ? $"only line numbers changed (in {string.Join(", ", run.LineOnly.SelectMany(o => o.LineOnly).Select(l => l.Symbol))})"
                : "no object code changed";
            return new CreateOutcome.NoCodeChange($"{run.Describe}: {why}; no update to build");
        }
        var unsafeCount = run.Entries.Sum(e => e.Unsafe.Count);
        run.Manifest = new Manifest
        {
            Id = run.Id,
            Pre = run.Pre.Sha,
            PreTree = run.Pre.Tree.Sha,
            Post = run.PostCommit.Sha,
            PostTree = run.Change.PostTree,
            Source = run.Describe,
            Compiler = run.Settings.CompilerVersion,
            BuildCommand = run.Settings.Command,
            CompilerFlags = run.BuildSystem.CompilerFlags,
            Objects = run.Entries,
            Modules = run.Modules.Select(m => new ModuleEntry(m.Path, Sha256(m.PostPath))).ToList(),
            Forced = run.Request.Force && unsafeCount > 0,
        };
        if (unsafeCount > 0 && !run.Request.Force)
            return new CreateOutcome.Unsafe(run.Manifest,
                $"{run.Describe} is not safe to hot-patch ({unsafeCount} unsafe change(s)); use --force to build it anyway");
        run.Verdict = run.Manifest.Forced ? UpdateVerdict.ForcedUnsafe : UpdateVerdict.HotPatchable;
        return null;
    }

    /// <summary>The tarball keeps only the update's objects (not those whose only change is line numbers) and gets its manifest.</summary>
    private CreateOutcome? Package(CreateRun run)
    {
        if (run.Tarball is not { } tarball) return null;
        if (run.Entries.Count < run.ChangedObjects.Count)
        {
            var carried = run.Entries.Select(e => e.Path).ToHashSet(StringComparer.Ordinal);
            tarball.Restrict(name => !IsObjectEntry(name, out var path) || carried.Contains(path));
        }
        tarball.Complete(run.Manifest.ToJson());
        if (!run.Request.Record) tarball.Publish();
        return null;
    }

    /// <summary>The update's tarball in place, its ref and note moved (<see cref="UpdateStore.Record"/>).</summary>
    private CreateOutcome? Record(CreateRun run)
    {
        if (!run.Request.Record) return null;
        var record = UpdateNote.FromManifest(run.Manifest, run.Verdict, run.Tarball?.Path, run.Request.Series).ToRecord();
        _store.Record(run.Recording!, run.Manifest, record, run.Tarball, run.PostCommit);
        return null;
    }

    /// <summary>With --series, refs/ksplice/pre moves to the update's post state.</summary>
    private CreateOutcome? MoveSeries(CreateRun run)
    {
        if (!run.Request.Record || !run.Request.Series) return null;
        _series.Move(run.PostCommit, $"series: update {run.Id} built on {run.Pre.Sha[..12]}", run.Pre);
        output.Info($"{SeriesRefs.PreRef} moved to the update's post state {run.PostCommit.Sha[..12]}");
        return null;
    }

    /// <summary>
    /// Builds the pre state in the build tree and snapshots its outputs, unless the snapshot is current. The
    /// build is told the sources <paramref name="change"/> touches: the objects its post build will rebuild.
    /// </summary>
    private void EnsurePreBuilt(Commit pre, BuildSystem system, BuildJob job, OriginalConfig config, ChangeSpec? change = null)
    {
        var wanted = new SnapshotState(pre.Tree.Sha, system.Key(job.Settings), config.Hash());
        if (job.PreOutputs.State == wanted)
        {
            output.Verbose($"the pre state {pre.Sha[..12]} is built");
            return;
        }
        var tree = job.Tree;
        if (tree.State is { Built: true, ObjectsOnly: false } built && built.SourceTree == wanted.SourceTree &&
            built.BuildKey == wanted.BuildKey && built.ConfigHash == wanted.ConfigHash)
        {
            // After a --series update the tree is already built at the new pre state (that update's post
            // state): only the snapshot needs refreshing, not a no-op make of the whole tree.
            output.Verbose($"the build tree is already built at the pre state {pre.Sha[..12]}");
        }
        else
        {
            var tools = system.PrepareTools(job.Settings, job.Cancel);
            try
            {
                tree.Sync(pre.Tree.Sha, wanted.BuildKey, wanted.ConfigHash);
                tree.InstallConfig(config);
            }
            finally { ((IAsyncResult)tools).AsyncWaitHandle.WaitOne(); }
            output.Info($"building the original (pre) source at {pre.Sha[..12]}");
            system.BuildPre(job, $"pre-{pre.Sha[..12]}", () => OnStage?.Invoke("building the pre state"), change?.TouchedPaths(repository, pre));
        }
        Snapshot(system, job, wanted);
    }

    /// <summary>Copies the pre state's outputs, which the build tree holds built, aside (<see cref="PreOutputs"/>).</summary>
    private void Snapshot(BuildSystem system, BuildJob job, SnapshotState wanted)
    {
        var copied = system.Snapshot(job, wanted);
        output.Verbose($"{copied} pre output(s) copied to {job.PreOutputs.Root}");
    }

    /// <summary>
    /// How this create builds: the command line's jobs and launcher over the settings. Unless jobs are given
    /// anywhere, a launcher that spreads compiles over a farm (distcc, icecc) sets them, not the local CPUs.
    /// </summary>
    private BuildSettings Settings(int? jobs, IReadOnlyList<string>? launcherWords)
    {
        var compiler = _settings.Compiler ?? BuildSettings.DefaultCompiler();
        var launcher = BuildSettings.ResolveLauncher(launcherWords ?? _settings.CompilerLauncher);
        var launcherProgram = BuildSettings.CommandLauncherProgram(_settings.BuildCommand, launcher) ?? launcher.FirstOrDefault();
        return new BuildSettings
        {
            Command = _settings.BuildCommand,
            Launcher = launcher,
            Jobs = jobs ?? (!_settings.JobsGiven && launcherProgram != null && BuildSettings.LauncherJobs(launcherProgram, output.Warning) is { } farm
                ? farm : _settings.Jobs),
            CompilerPath = compiler,
            CompilerVersion = BuildSettings.ReadCompilerVersion(compiler, _layout.CompilerVersionCache),
            ModuleGlobs = _settings.ModuleGlobs,
        };
    }

    private OriginalConfig LoadConfig(string? configDir) => OriginalConfig.Load(repository, configDir);

    /// <summary>The files of the tarball known once the changed objects are: the patch, each object's pre and post versions, the modules.</summary>
    private List<ArchiveFile> TarballFiles(CreateRun run)
    {
        var patch = run.Change.PatchText;
        var files = new List<ArchiveFile> { new("patch", () => new MemoryStream(System.Text.Encoding.UTF8.GetBytes(patch.GetAwaiter().GetResult()))) };
        foreach (var o in run.ChangedObjects)
        {
            if (o.PrePath != null) files.Add(FromDir(PreObjectPrefix, run.Job.PreOutputs.Root, o.Path));
            files.Add(FromDir(PostObjectPrefix, run.PostBuild.ObjectRoot, o.Path));
        }
        foreach (var m in run.Modules) files.Add(FromDir("modules/", run.Tree.Root, m.Path));
        return files;

        static ArchiveFile FromDir(string prefix, string root, string relative) =>
            new(prefix + relative, () => File.OpenRead(Path.Combine(root, relative)));
    }

    private const string PreObjectPrefix = "pre/";
    private const string PostObjectPrefix = "post/";

    /// <summary>Whether a tarball entry is one version of a changed object, and which.</summary>
    private static bool IsObjectEntry(string name, out string path)
    {
        foreach (var prefix in new[] { PreObjectPrefix, PostObjectPrefix })
            if (name.StartsWith(prefix, StringComparison.Ordinal))
            {
                path = name[prefix.Length..];
                return true;
            }
        path = "";
        return false;
    }

    private static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
