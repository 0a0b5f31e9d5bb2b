using System.Security.Cryptography;
using System.Text.RegularExpressions;
using GitKsplice.Elf;
using GitKsplice.Processes;
using GitKsplice.Reporting;

namespace GitKsplice.Livepatch;

/// <summary>How to build an update's livepatch module: where, against which build tree, for which running kernel.</summary>
/// <param name="BuildTree">The Kbuild tree the update was built in: its vmlinux, symvers, headers and module linker script.</param>
/// <param name="ConfigDirectory">ORIG_CONFIG: the running kernel's image, .config and System.map (null: none given).</param>
/// <param name="BuildEnvironment">The environment the tree is built with (KCFLAGS and the like), so make sees the same tree.</param>
/// <param name="PreOutputs">Where the pre build's outputs are kept (its modules' .ko, whose symbols a module's update addresses), or null.</param>
public sealed record ModuleBuildSpec(
    string Id,
    string BuildTree,
    string? ConfigDirectory,
    IReadOnlyDictionary<string, string?> BuildEnvironment,
    string WorkDirectory,
    string LogPath,
    bool Replace,
    string? Follows,
    string? PreOutputs = null);

/// <summary>The extracted update, checked: what the module will replace, or why it cannot be built.</summary>
public sealed class ModulePlan
{
    internal ModulePlan(PatchExtractor extractor, KernelRelease release, KernelSymbols symbols)
    {
        Extractor = extractor;
        Release = release;
        Symbols = symbols;
    }

    internal PatchExtractor Extractor { get; }
    public KernelRelease Release { get; }
    internal KernelSymbols Symbols { get; }
    public IReadOnlyList<LivepatchRefusal> Refusals => Extractor.Refusals;
    public void Refuse(LivepatchRefusal refusal) => Extractor.Refusals.Add(refusal);
    public IReadOnlyList<ReplacedFunction> Functions => Extractor.Functions;
}

/// <summary>
/// From the analysis to a loadable Linux livepatch module: extract the update's code (<see cref="PatchExtractor"/>),
/// generate the registration (<see cref="Registration"/>), link both as an external module against the build
/// tree with Kbuild itself, then add the livepatch relocations (<see cref="ModuleRewrite"/>).
/// </summary>
public static partial class ModuleBuilder
{
    /// <summary>Whether a configured Kbuild tree's kernel can load livepatch modules.</summary>
    public static bool TreeHasLivepatch(string tree)
    {
        var config = Path.Combine(tree, ".config");
        return File.Exists(config) && File.ReadLines(config).Any(l => l == "CONFIG_LIVEPATCH=y");
    }

    /// <summary>Reads the running kernel's facts and extracts the update; refusals are in the plan, not thrown.</summary>
    public static ModulePlan Plan(ModuleBuildSpec spec, IReadOnlyList<ChangedObject> objects)
    {
        var release = (spec.ConfigDirectory == null ? null : KernelRelease.FromConfigDirectory(spec.ConfigDirectory))
            ?? (KernelRelease.OfBuildTree(spec.BuildTree) is { } built ? new KernelRelease(built, "the build tree (no kernel image or .config version in ORIG_CONFIG)") : null)
            ?? throw new UserError($"the running kernel's release is unknown: put its bzImage or vmlinuz in the --config directory");
        var systemMap = spec.ConfigDirectory == null ? null : Path.Combine(spec.ConfigDirectory, "System.map");
        var symbols = KernelSymbols.Load(systemMap, "System.map in ORIG_CONFIG", Path.Combine(spec.BuildTree, "vmlinux"),
            module => ModuleFile(spec, module));
        var symvers = Symvers(spec.BuildTree);
        var extractor = new PatchExtractor(symbols, PatchExtractor.ReadExports(symvers), PatchExtractor.ReadModuleExports(symvers));
        foreach (var o in objects)
        {
            if (OutsideKernel(spec.BuildTree, o.Path) is { } where)
            {
                foreach (var f in o.Functions)
                    extractor.Refusals.Add(new LivepatchRefusal(o.Path, f, "livepatch-outside-kernel",
                        $"{f}() is in {o.Path}, {where}; livepatch patches only vmlinux and loadable modules"));
                continue;
            }
            if (o.KernelObject != KernelSymbols.Vmlinux && symbols.ModuleProblem(o.KernelObject) is { } problem)
            {
                foreach (var f in o.Functions)
                    extractor.Refusals.Add(new LivepatchRefusal(o.Path, f, "livepatch-unreachable", $"{f}() is in {problem}"));
                continue;
            }
            extractor.Add(o);
        }
        return new ModulePlan(extractor, release, symbols);
    }

    /// <summary>
    /// Builds the module in <see cref="ModuleBuildSpec.WorkDirectory"/>, which is removed afterwards (the log stays);
    /// returns the module's bytes and its manifest entry.
    /// </summary>
    public static (byte[] Module, LivepatchModule Entry) Build(ModuleBuildSpec spec, ModulePlan plan, ToolOutput output, CancellationToken cancel)
    {
        if (plan.Refusals.Count > 0) throw new InvalidOperationException("a module with refusals is never built");
        if (plan.Functions.Count == 0) throw new UserError($"update {spec.Id} replaces no function the livepatch core can reach; no module to build");
        var dir = spec.WorkDirectory;
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        Directory.CreateDirectory(dir);
        try { return Link(spec, plan, output, cancel); }
        finally { Directory.Delete(dir, recursive: true); }
    }

    private static (byte[] Module, LivepatchModule Entry) Link(ModuleBuildSpec spec, ModulePlan plan, ToolOutput output, CancellationToken cancel)
    {
        var name = LivepatchModule.ModuleName(spec.Id);
        var dir = spec.WorkDirectory;
        File.WriteAllBytes(Path.Combine(dir, Registration.PatchObjectName + "_shipped"), plan.Extractor.Output.ToBytes());
        File.WriteAllText(Path.Combine(dir, Registration.SourceName), Registration.Source(spec.Id, plan.Functions, spec.Replace));
        File.WriteAllText(Path.Combine(dir, "Kbuild"), Registration.Kbuild(name));

        var env = new Dictionary<string, string?>(spec.BuildEnvironment);
        Directory.CreateDirectory(Path.GetDirectoryName(spec.LogPath)!);
        File.WriteAllText(spec.LogPath, "");
        if (!File.Exists(Path.Combine(spec.BuildTree, "scripts", "module.lds")))
        {
            // An external module needs the module linker script, which `make vmlinux` does not write.
            output.Verbose("preparing the build tree for external modules (make modules_prepare)");
            Make(spec, ["modules_prepare"], env, cancel);
        }
        var args = new List<string> { $"M={dir}", "modules" };
        if (!File.Exists(Path.Combine(spec.BuildTree, "Module.symvers")))
            args.Add($"KBUILD_EXTRA_SYMBOLS={Path.Combine(spec.BuildTree, "vmlinux.symvers")}");
        output.Verbose($"linking livepatch module {name}.ko against {spec.BuildTree}");
        Make(spec, args, env, cancel);
        var undefined = UndefinedWarning().Matches(File.ReadAllText(spec.LogPath)).Select(m => m.Groups[1].Value).Distinct().ToList();
        if (undefined.Count > 0)
            throw new UserError($"livepatch module {name}.ko refers to {string.Join(", ", undefined)}, which vmlinux does not export; see the log: {spec.LogPath}");

        var linked = Path.Combine(dir, name + ".ko");
        var treeRelease = KernelRelease.OfBuildTree(spec.BuildTree);
        var bytes = ModuleRewrite.Rewrite(ElfFile.Open(linked), plan.Extractor.Sites,
            treeRelease == plan.Release.Release ? null : plan.Release.Release);
        var entry = new LivepatchModule
        {
            File = LivepatchModule.FileName(spec.Id),
            Name = name,
            Sha256 = Convert.ToHexStringLower(SHA256.HashData(bytes)),
            KernelRelease = plan.Release.Release,
            KernelReleaseSource = plan.Release.Source,
            SymbolPositionsSource = plan.Symbols.Source,
            Replace = spec.Replace,
            Follows = spec.Follows,
            Objects = plan.Functions.GroupBy(f => f.KernelObject)
                .Select(g => new PatchedObject(g.Key, g.Select(f => new PatchedFunction(f.OldName, f.Sympos)).ToList())).ToList(),
        };
        return (bytes, entry);
    }

    private static void Make(ModuleBuildSpec spec, IReadOnlyList<string> args, Dictionary<string, string?> env, CancellationToken cancel)
    {
        File.AppendAllText(spec.LogPath, $"$ make {string.Join(' ', args)}\n# in {spec.BuildTree}\n");
        int exit = CommandRunner.RunLogged(spec.BuildTree, "make", args, spec.LogPath, env, null, null, cancel);
        if (exit != 0) throw new UserError($"make {args[^1]} for the livepatch module failed (exit {exit}); see the log: {spec.LogPath}");
    }

    private static string Symvers(string tree)
    {
        foreach (var name in new[] { "Module.symvers", "vmlinux.symvers" })
            if (File.Exists(Path.Combine(tree, name))) return Path.Combine(tree, name);
        throw new UserError($"{tree} has neither Module.symvers nor vmlinux.symvers: build vmlinux (ksplice.buildCommand) before a livepatch module can be made");
    }

    /// <summary>
    /// "vmlinux", or the name of the loadable module an object is linked into (its &lt;module&gt;.mod lists it),
    /// with '-' as '_' as the kernel names modules.
    /// </summary>
    public static string KernelObjectOf(string tree, string objectPath)
    {
        foreach (var (name, module) in Modules(tree))
        {
            var mod = Path.Combine(tree, Path.ChangeExtension(module, ".mod"));
            if (File.Exists(mod) && File.ReadAllText(mod).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Contains(objectPath))
                return name;
        }
        return KernelSymbols.Vmlinux;
    }

    /// <summary>The tree's loadable modules from modules.order: the kernel's name for each and its .ko's path in the tree.</summary>
    private static IEnumerable<(string Name, string Path)> Modules(string tree)
    {
        var order = Path.Combine(tree, "modules.order");
        if (!File.Exists(order)) yield break;
        foreach (var line in File.ReadLines(order))
            if (line.Trim() is { Length: > 0 } module)
                yield return (Path.GetFileNameWithoutExtension(module).Replace('-', '_'), Path.ChangeExtension(module, ".ko"));
    }

    /// <summary>
    /// The .ko whose symbol table gives a module's symbol positions: the pre build's (kept with its outputs), else
    /// the build tree's.
    /// </summary>
    private static (string Path, string Source)? ModuleFile(ModuleBuildSpec spec, string name)
    {
        foreach (var (module, ko) in Modules(spec.BuildTree))
        {
            if (module != name) continue;
            if (spec.PreOutputs != null && File.Exists(Path.Combine(spec.PreOutputs, ko)))
                return (Path.Combine(spec.PreOutputs, ko), $"the pre build's {ko}");
            if (File.Exists(Path.Combine(spec.BuildTree, ko)))
                return (Path.Combine(spec.BuildTree, ko), $"the build tree's {ko}");
        }
        return null;
    }

    /// <summary>Objects that are not part of vmlinux or a module: boot code, the vDSO, and objects archived in a lib.a (linked only if used).</summary>
    internal static string? OutsideKernel(string tree, string path)
    {
        if (Regex.IsMatch(path, @"^arch/[^/]+/boot/")) return "boot code, which does not run in the running kernel";
        if (Regex.IsMatch(path, @"^arch/[^/]+/realmode/")) return "real-mode code, copied out at boot";
        if (path.Contains("/vdso/", StringComparison.Ordinal)) return "vDSO code, mapped into user processes";
        var dir = Path.GetDirectoryName(path) ?? "";
        var archive = Path.Combine(tree, dir, "lib.a");
        if (File.Exists(archive) && ArchiveMembers(archive).Contains(Path.GetFileName(path)))
            return $"archived in {Path.Combine(dir, "lib.a")} (linked into vmlinux only where used, with no ftrace entries of its own)";
        return null;
    }

    /// <summary>The member names of an ar archive (thin or not): the long-name table and the short names.</summary>
    private static HashSet<string> ArchiveMembers(string archive)
    {
        var text = System.Text.Encoding.Latin1.GetString(File.ReadAllBytes(archive));
        return ObjectName().Matches(text).Select(m => Path.GetFileName(m.Value.TrimEnd('/'))).ToHashSet(StringComparer.Ordinal);
    }

    [GeneratedRegex(@"[\w.+-]+\.o(?=/|\s|$)")]
    private static partial Regex ObjectName();

    [GeneratedRegex(@"WARNING: modpost: ""([^""]+)"" \[[^\]]+\] undefined!")]
    private static partial Regex UndefinedWarning();
}
