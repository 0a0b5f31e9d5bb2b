using System.Security.Cryptography;
using GitKsplice.Analysis;
using GitKsplice.Build;
using GitKsplice.Cli;
using GitKsplice.Git;
using LibGit2Sharp;

namespace GitKsplice.Updates;

/// <summary>What to build: the change and the options of ksplice-create.</summary>
public sealed record CreateRequest(ChangeSpec Change)
{
    public string? Id { get; init; }
    public int? Jobs { get; init; }
    public bool Series { get; init; }
    public bool BuildModules { get; init; }
    public string? ConfigDir { get; init; }
    public bool Force { get; init; }
    /// <summary>Where ksplice-&lt;id&gt;.tar.gz goes; null builds and analyses without writing a tarball.</summary>
    public string? OutputDirectory { get; init; } = Environment.CurrentDirectory;
    /// <summary>Record the update (ref, note, manifest copy); off for a validation run.</summary>
    public bool Record { get; init; } = true;
}

public sealed record CreateResult(Manifest Manifest, string? Tarball, string Verdict, IReadOnlyList<ObjectEntry> LineOnlyObjects);

/// <summary>The update's change is unsafe to hot-patch: refused without --force.</summary>
public sealed class UnsafeChangeException(string message, Manifest manifest) : UserError(message, ExitCodes.Unsafe)
{
    public Manifest Manifest { get; } = manifest;
}

/// <summary>
/// The ksplice-create pipeline: change → pre state built and its outputs snapshotted (cached) → post state
/// built incrementally in the same tree → changed objects → analysis → manifest → tarball (temp + rename) →
/// update ref and note → series move.
/// Nothing is recorded and no ref moves unless every step before succeeded.
/// </summary>
public sealed class UpdateCreator(KspliceRepository repository, IObjectAnalyzer analyzer, ToolOutput output)
{
    private readonly SeriesRefs _series = new(repository);
    private readonly KspliceSettings _settings = KspliceSettings.Read(repository);

    /// <summary>Told each long step as it starts ("building the pre state" once the build command runs, …), for progress reports.</summary>
    public Action<string>? OnStage { get; init; }

    private string LockPath => Path.Combine(repository.StateDir, "build.lock");
    /// <summary>The one tree every state is built in, incrementally.</summary>
    private BuildTree Tree => new(repository, "tree");
    /// <summary>The outputs of the pre state, copied aside once it is built.</summary>
    private OutputSnapshot PreOutputs => new(Path.Combine(repository.StateDir, "build", "pre-outputs"));

    /// <summary>
    /// Loads the hashing library (OpenSSL, about a millisecond) on another thread, for a command about to
    /// open the repository and create an update: every create hashes its settings and its objects.
    /// </summary>
    public static void PreloadHashing() => Task.Run(static () => SHA256.HashData(ReadOnlySpan<byte>.Empty));

    public static string NewId() =>
        new(Enumerable.Range(0, 8).Select(_ => "abcdefghijklmnopqrstuvwxyz0123456789"[RandomNumberGenerator.GetInt32(36)]).ToArray());

    /// <summary>--prebuild: builds the pre tree (the running kernel's source) so later updates only build what changes.</summary>
    public Commit Prebuild(int? jobs, string? configDir, CancellationToken cancel = default)
    {
        var pre = _series.EnsurePre(output);
        using var _ = StateLock.Acquire(LockPath, "prebuild", output.Info, cancel);
        var settings = Settings(jobs);
        var config = LoadConfig(configDir);
        EnsurePreBuilt(pre, settings, config, cancel);
        // As ksplice-create --prebuild does, the tree goes back to the original source after earlier updates.
        var tree = Tree;
        if (tree.State is { } state && (state.SourceTree != pre.Tree.Sha || !state.Built))
        {
            var kbuild = IsKbuildSource(pre.Tree);
            tree.Sync(pre.Tree.Sha, settings.Key(kbuild), config.Hash());
            tree.InstallConfig(config);
            output.Info($"reverting the build tree to the original source at {pre.Sha[..12]}");
            tree.Build(settings, kbuild, $"pre-{pre.Sha[..12]}", "the pre state", output, cancel);
        }
        return pre;
    }

    public CreateResult Create(CreateRequest request, CancellationToken cancel = default)
    {
        var id = request.Id ?? NewId();
        ValidateId(id);
        request.Change.Validate(repository);
        // An id in use by another commit's update fails now, not after the builds (Record checks every kind).
        if (request.Record && _series.UpdateCommit(id) is { } existing && request.Change is CommitChange commit &&
            repository.ResolveCommit(commit.Revision).Sha != existing.Sha)
            throw new UserError($"update id '{id}' is already used by another update ({existing.Sha[..12]})");

        var pre = _series.EnsurePre(output);
        var settings = Settings(request.Jobs);
        var config = LoadConfig(request.ConfigDir);
        PerformanceTrace.Step("change checked, pre state and settings resolved");

        using var _ = StateLock.Acquire(LockPath, $"create {id}", output.Info, cancel);
        EnsurePreBuilt(pre, settings, config, cancel);
        PerformanceTrace.Step("pre state built");
        var kbuild = IsKbuildSource(pre.Tree);
        var post = Tree;
        if (request.Change is PatchChange)
            post.Sync(pre.Tree.Sha, settings.Key(kbuild), config.Hash()); // a patch applies to the pre source

        var change = request.Change.Resolve(repository, pre, post, output);
        if (change.PostTree == pre.Tree.Sha)
            throw new UserError($"{request.Change.Describe()} makes no source change against {SeriesRefs.PreRef} ({pre.Sha[..12]}); " +
                "mark the running kernel's source first with 'git ksplice series set <commit>'", ExitCodes.NoChange);

        PerformanceTrace.Step("change resolved");
        post.Sync(change.PostTree, settings.Key(kbuild), config.Hash());
        post.InstallConfig(config);
        PerformanceTrace.Step("build tree moved to the post source");
        // While the build runs (one change keeps one core busy at most): list the pre snapshot's objects, start
        // git for the ref transaction that records the update and, in a Kbuild tree, find what the source adds.
        using var recording = request.Record ? new NotesStore(repository, UpdateNote.NotesRef).BeginEdit($"ksplice update {id}") : null;
        Task<IReadOnlyList<string>>? addedSources = null;
        IReadOnlyDictionary<string, FileStamp>? snapshot = null;
        output.Info($"building the update's post state ({request.Change.Describe()})");
        post.Build(settings, kbuild, $"post-{id}", "the post state", output, cancel, whileBuilding: () =>
        {
            OnStage?.Invoke("building the post state"); // once the build runs: a job killed now leaves it behind
            if (kbuild) addedSources = AddedFiles(pre.Tree.Sha, change.PostTree);
            recording?.StartGit();
            snapshot = ChangedOutputs.SnapshotObjects(PreOutputs.Root);
        });
        PerformanceTrace.Step("post state built");

        var objectRoot = post.SectionedObjects(kbuild);
        var changedObjects = ChangedOutputs.FindObjects(PreOutputs.Root, snapshot!, objectRoot, post.Root,
            addedSources?.GetAwaiter().GetResult());
        output.Verbose($"{changedObjects.Count} object(s) differ between the pre and post states");
        PerformanceTrace.Step($"{changedObjects.Count} changed object(s) found");
        var modules = request.BuildModules
            ? ChangedOutputs.Find(PreOutputs.Root, post.Root, ChangedOutputs.Matching(settings.ModuleGlobs))
            : [];
        var postCommit = change.PostCommit ?? SyntheticPostCommit(id, pre, change.PostTree, request.Change);
        var tarball = request.OutputDirectory == null ? null
            : Path.GetFullPath(Path.Combine(request.OutputDirectory, UpdateArchive.FileName(id)));
        // The tarball is written while the objects are analysed, on a thread of its own (the pool can take
        // milliseconds to find one): its manifest goes last, once the analysis has made it.
        var manifestJson = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var archive = StartArchive(tarball, id, change.PatchText, manifestJson.Task, changedObjects, objectRoot, modules, postCommit);
        void Abandon(Task writer)
        {
            manifestJson.TrySetCanceled();
            try { writer.Wait(); } catch (AggregateException) { } // the writer removes its temp file
        }

        OnStage?.Invoke("analysing the changed objects");
        Manifest manifest;
        var lineOnly = new List<ObjectEntry>();
        try
        {
            var entries = new List<ObjectEntry>();
            foreach (var obj in changedObjects)
            {
                var comparison = analyzer.Compare(obj.PrePath, obj.PostPath);
                var entry = new ObjectEntry(obj.Path, obj.PrePath == null ? null : Sha256(obj.PrePath), Sha256(obj.PostPath),
                    comparison.Changed, comparison.New, comparison.Removed, comparison.Unsafe, comparison.LineOnly);
                if (comparison.HasFunctionalChange) entries.Add(entry);
                else if (comparison.LineOnly.Count > 0) lineOnly.Add(entry);
            }
            if (entries.Count == 0)
            {
                var why = lineOnly.Count > 0
                    ? $"only line numbers changed (in {string.Join(", ", lineOnly.SelectMany(o => o.LineOnly).Select(l => l.Symbol))})"
                    : "no object code changed";
                throw new UserError($"{request.Change.Describe()}: {why}; no update to build", ExitCodes.NoChange);
            }
            PerformanceTrace.Step("objects analysed");
            manifest = new Manifest
            {
                Id = id,
                Pre = pre.Sha,
                PreTree = pre.Tree.Sha,
                Post = postCommit.Sha,
                PostTree = change.PostTree,
                Source = request.Change.Describe(),
                Compiler = settings.CompilerVersion,
                BuildCommand = settings.Command,
                CompilerFlags = (kbuild ? "KCFLAGS=" : "compiler wrapper, copies beside the build: ") + BuildSettings.SectionFlags,
                Objects = entries,
                Modules = modules.Select(m => new ModuleEntry(m.Path, Sha256(m.PostPath))).ToList(),
                Forced = request.Force && entries.Any(e => e.Unsafe.Count > 0),
            };
            if (manifest.AllUnsafe.Any() && !request.Force)
            {
                foreach (var o in entries)
                    foreach (var u in o.Unsafe)
                        output.Error($"{o.Path}: {u.Symbol}: {u.Reason}");
                throw new UnsafeChangeException(
                    $"{request.Change.Describe()} is not safe to hot-patch ({manifest.AllUnsafe.Count()} unsafe change(s)); use --force to build it anyway", manifest);
            }
            if (entries.Count < changedObjects.Count)
            {
                // Some objects differ in no function (line numbers only): the tarball holds only the update's.
                Abandon(archive);
                manifestJson = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
                archive = StartArchive(tarball, id, change.PatchText, manifestJson.Task,
                    changedObjects.Where(o => entries.Any(e => e.Path == o.Path)).ToList(), objectRoot, modules, postCommit);
            }
            manifestJson.SetResult(manifest.ToJson());
        }
        catch
        {
            Abandon(archive);
            throw;
        }
        var verdict = manifest.Forced ? "unsafe (forced)" : "hot-patchable";
        PerformanceTrace.Step("manifest made");

        if (request.Record)
        {
            try { Record(recording!, manifest, verdict, tarball, postCommit, beforeRefsMove: () => archive.GetAwaiter().GetResult()); }
            catch
            {
                try { archive.Wait(); } catch (AggregateException) { } // never delete under a writer still renaming
                if (tarball != null) File.Delete(tarball);
                throw;
            }
            PerformanceTrace.Step("update recorded");
            if (request.Series)
            {
                _series.Move(postCommit, $"series: update {id} built on {pre.Sha[..12]}", pre);
                output.Info($"{SeriesRefs.PreRef} moved to the update's post state {postCommit.Sha[..12]}");
            }
        }
        else archive.GetAwaiter().GetResult();
        return new CreateResult(manifest, tarball, verdict, lineOnly);
    }

    /// <summary>Builds the pre state in the build tree and snapshots its outputs, unless the snapshot is current.</summary>
    private void EnsurePreBuilt(Commit pre, BuildSettings settings, OriginalConfig config, CancellationToken cancel)
    {
        var kbuild = IsKbuildSource(pre.Tree);
        var wanted = new SnapshotState(pre.Tree.Sha, settings.Key(kbuild), config.Hash());
        if (PreOutputs.State == wanted)
        {
            output.Verbose($"the pre state {pre.Sha[..12]} is built");
            return;
        }
        var tree = Tree;
        if (tree.State is { Built: true } built && built.SourceTree == wanted.SourceTree &&
            built.BuildKey == wanted.BuildKey && built.ConfigHash == wanted.ConfigHash)
        {
            // After a --series update the tree is already built at the new pre state (that update's post
            // state): only the snapshot needs refreshing, not a no-op make of the whole tree.
            output.Verbose($"the build tree is already built at the pre state {pre.Sha[..12]}");
        }
        else
        {
            tree.Sync(pre.Tree.Sha, wanted.BuildKey, wanted.ConfigHash);
            tree.InstallConfig(config);
            output.Info($"building the original (pre) source at {pre.Sha[..12]}");
            tree.Build(settings, kbuild, $"pre-{pre.Sha[..12]}", "the pre state", output, cancel,
                whileBuilding: () => OnStage?.Invoke("building the pre state"));
        }
        var objects = ChangedOutputs.Objects(tree.Root);
        var modules = ChangedOutputs.Matching(settings.ModuleGlobs);
        var objectRoot = tree.SectionedObjects(kbuild);
        var copied = PreOutputs.Refresh(objectRoot == tree.Root
            ? [(tree.Root, objects.Or(modules))]
            : [(objectRoot, objects), (tree.Root, modules)], wanted);
        output.Verbose($"{copied} pre output(s) copied to {PreOutputs.Root}");
    }

    /// <summary>Files the post source adds to the pre source: in a Kbuild tree, where a new object can be.</summary>
    private Task<IReadOnlyList<string>> AddedFiles(string preTree, string postTree) =>
        Task.Run<IReadOnlyList<string>>(() => repository.Git
            .Run(["diff-tree", "-r", "-z", "--name-only", "--no-renames", "--diff-filter=A", preTree, postTree])
            .Split('\0', StringSplitOptions.RemoveEmptyEntries));

    /// <summary>Kbuild (Linux) trees get their flags through KCFLAGS; seen from the commit, before any checkout.</summary>
    private static bool IsKbuildSource(Tree tree) =>
        tree["Kbuild"] != null ||
        (tree["Makefile"]?.Target is Blob makefile && makefile.GetContentText().Contains("KBUILD_", StringComparison.Ordinal));

    private BuildSettings Settings(int? jobs)
    {
        var compiler = _settings.Compiler ?? BuildSettings.DefaultCompiler();
        return new BuildSettings
        {
            Command = _settings.BuildCommand,
            Jobs = jobs ?? _settings.Jobs ?? BuildSettings.DefaultJobs(),
            CompilerPath = compiler,
            CompilerVersion = BuildSettings.ReadCompilerVersion(compiler, repository.StateDir),
            ModuleGlobs = _settings.ModuleGlobs,
        };
    }

    private OriginalConfig LoadConfig(string? configDir) =>
        OriginalConfig.Load(configDir == null ? null : Path.GetFullPath(configDir),
            repository.WorkDir == null ? null : Path.Combine(repository.WorkDir, "ksplice"));

    /// <summary>
    /// The post commit of a patch, diffext or rebased range: a commit on top of pre with a fixed author and
    /// time, so the same change and id always give the same commit (and the same tarball).
    /// </summary>
    private Commit SyntheticPostCommit(string id, Commit pre, string tree, ChangeSpec change)
    {
        var signature = new Signature("git-ksplice", "git-ksplice@localhost", pre.Committer.When);
        return repository.Repo.ObjectDatabase.CreateCommit(signature, signature,
            $"ksplice update {id}\n\nBuilt from {change.Describe()} on top of {pre.Sha}.\n",
            repository.Repo.Lookup<Tree>(tree), [pre], prettifyMessage: false);
    }

    /// <summary>
    /// Writes the tarball on a thread of its own: the patch, each changed object's pre and post version and the
    /// modules at once, the manifest when <paramref name="manifestJson"/> has it (cancelled: no tarball).
    /// </summary>
    private Task StartArchive(string? path, string id, Task<string> patch, Task<string> manifestJson,
        IReadOnlyList<ChangedOutput> objects, string objectRoot, IReadOnlyList<ChangedOutput> modules, Commit postCommit)
    {
        if (path == null) return Task.CompletedTask;
        var files = new List<ArchiveFile>
        {
            new("patch", () => new MemoryStream(System.Text.Encoding.UTF8.GetBytes(patch.GetAwaiter().GetResult()))),
            new(UpdateArchive.ManifestName, () => new MemoryStream(System.Text.Encoding.UTF8.GetBytes(manifestJson.GetAwaiter().GetResult()))),
        };
        foreach (var o in objects)
        {
            if (o.PrePath != null) files.Add(FromDir("pre/", PreOutputs.Root, o.Path));
            files.Add(FromDir("post/", objectRoot, o.Path));
        }
        foreach (var m in modules) files.Add(FromDir("modules/", Tree.Root, m.Path));
        return Task.Factory.StartNew(() =>
        {
            UpdateArchive.Write(path, id, files, postCommit.Committer.When.UtcDateTime);
            PerformanceTrace.Step("tarball written");
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

        static ArchiveFile FromDir(string prefix, string root, string relative) =>
            new(prefix + relative, () => File.OpenRead(Path.Combine(root, relative)));
    }

    private void Record(NotesEdit recording, Manifest manifest, string verdict, string? tarball, Commit postCommit, Action beforeRefsMove)
    {
        var existing = _series.UpdateCommit(manifest.Id);
        if (existing != null && existing.Sha != postCommit.Sha)
            throw new UserError($"update id '{manifest.Id}' is already used by another update ({existing.Sha[..12]})");
        var record = UpdateNote.FromManifest(manifest, verdict, tarball).ToRecord();
        // The update's ref and its note in one ref transaction: a note never describes an unrecorded update.
        recording.Apply(
            new Dictionary<string, Func<string?, string?>> { [postCommit.Sha] = note => record.MergeInto(note) },
            existing == null ? [SeriesRefs.CreateUpdateCommand(manifest.Id, postCommit)] : [],
            beforeRefsMove: () =>
            {
                beforeRefsMove();
                // A copy of the tarball's manifest for `show`, not flushed to disk: the note keeps the record.
                AtomicFile.WriteAllText(ManifestPath(repository, manifest.Id), manifest.ToJson(), flushToDisk: false);
            });
    }

    public static string ManifestPath(KspliceRepository repository, string id) =>
        Path.Combine(repository.StateDir, "updates", id, "manifest.json");

    private static void ValidateId(string id)
    {
        if (id.Length == 0 || id.Length > 64 || !id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            throw new UserError($"bad update id '{id}': use letters, digits, '-' and '_'");
    }

    private static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
