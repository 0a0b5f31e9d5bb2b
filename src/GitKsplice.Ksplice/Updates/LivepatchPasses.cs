using GitKsplice.Analysis;
using GitKsplice.Build;
using GitKsplice.Git;
using GitKsplice.Livepatch;
using GitKsplice.Reporting;

namespace GitKsplice.Updates;

/// <summary>
/// The create passes that make the update loadable on a Linux kernel with CONFIG_LIVEPATCH: check that the
/// livepatch core can carry the change (its refusals join the analysis's unsafe findings, before the judge),
/// then build the module and put it in the tarball and the manifest (after the judge). A plain Makefile tree
/// has no module; a kernel without CONFIG_LIVEPATCH gets a warning, or an error with --require-module.
/// </summary>
internal sealed class LivepatchPasses(KspliceRepository repository, UpdateStore store, ToolOutput output, bool replaceByDefault)
{
    /// <summary>Whether the module replaces every earlier one (--replace, else ksplice.replace).</summary>
    private bool Replace(CreateRun run) => run.Request.Replace ?? replaceByDefault;

    public CreateOutcome? Check(CreateRun run)
    {
        if (run.BuildSystem is not KbuildSystem)
        {
            if (run.Request.RequireModule)
                throw new UserError("--require-module: the tree is not a Linux (Kbuild) tree, so the update cannot hold a livepatch module");
            return null;
        }
        if (!ModuleBuilder.TreeHasLivepatch(run.Tree.Root))
        {
            const string why = "the kernel's configuration has no CONFIG_LIVEPATCH=y, so the update holds no loadable module";
            if (run.Request.RequireModule) throw new UserError($"--require-module: {why}");
            output.Warning(why);
            return null;
        }
        if (run.Entries.Count == 0) return null; // the judge ends a create without a functional change
        var paths = run.ChangedObjects.ToDictionary(o => o.Path, StringComparer.Ordinal);
        var objects = run.Entries.Select(e => new ChangedObject(e.Path, paths[e.Path].PrePath, paths[e.Path].PostPath,
            [.. e.Changed, .. e.New], ModuleBuilder.KernelObjectOf(run.Tree.Root, e.Path))).ToList();
        var plan = run.LivepatchPlan = ModuleBuilder.Plan(Spec(run, (KbuildSystem)run.BuildSystem), objects);
        if (Replace(run) && Predecessor(run) is { } earlier)
            plan.Refuse(new LivepatchRefusal(run.Entries[0].Path, "", "livepatch-replace-series",
                $"--replace makes the module cumulative, but it is built on update {earlier}'s post state and carries only its own change: loading it would undo {earlier}; build it without --replace"));
        for (int i = 0; i < run.Entries.Count; i++)
        {
            var e = run.Entries[i];
            var refused = plan.Refusals.Where(r => r.Object == e.Path).Select(r => new UnsafeFinding(r.Kind, r.Symbol, r.Reason)).ToList();
            if (refused.Count > 0) run.Entries[i] = e with { Unsafe = [.. e.Unsafe, .. refused] };
        }
        return null;
    }

    public CreateOutcome? Build(CreateRun run)
    {
        if (run.LivepatchPlan is not { } plan) return null;
        if (plan.Refusals.Count > 0)
        {
            // Only with --force: the update is recorded, but nothing in it can be loaded.
            output.Warning("the update holds no loadable module: the livepatch core cannot carry it (see the unsafe findings)");
            return null;
        }
        if (plan.Functions.Count == 0)
        {
            // Only with --force too: every change is one the analysis found unsafe (an __init function, say).
            const string why = "the update holds no loadable module: it changes no function the livepatch core can replace";
            if (run.Request.RequireModule) throw new UserError($"--require-module: {why}");
            output.Warning(why);
            return null;
        }
        if (run.Tarball is not { } tarball) return null; // a validation run checks, it does not build the module
        OnStage?.Invoke("building the livepatch module");
        var (bytes, entry) = ModuleBuilder.Build(Spec(run, (KbuildSystem)run.BuildSystem), plan, output, run.Cancel);
        tarball.Add(new ArchiveFile(entry.File, () => new MemoryStream(bytes, writable: false)));
        run.Manifest = run.Manifest with { Module = entry };
        output.Verbose($"livepatch module {entry.File} for {entry.KernelRelease} ({entry.KernelReleaseSource}), symbol positions from {entry.SymbolPositionsSource}");
        return null;
    }

    public Action<string>? OnStage { get; init; }

    /// <summary>What the module is built for: the Kbuild tree the update was built in, and its environment.</summary>
    private ModuleBuildSpec Spec(CreateRun run, KbuildSystem kbuild) => new(
        run.Id.Value, run.Tree.Root, run.Config.Directory,
        kbuild.Environment(run.Settings, run.Tree.Root),
        repository.Layout.LivepatchBuild(run.Id.Value),
        repository.Layout.Log($"livepatch-{run.Id}"),
        Replace(run), Predecessor(run), repository.Layout.PreOutputs);

    /// <summary>The update whose post state this one is built on: its module must be loaded first.</summary>
    private string? Predecessor(CreateRun run) =>
        store.Refs().Where(u => u.Post == run.Pre.Sha && u.Id != run.Id).Select(u => u.Id.Value).Order(StringComparer.Ordinal).FirstOrDefault();
}
