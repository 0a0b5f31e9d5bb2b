using GitKsplice.Elf;

namespace GitKsplice.Livepatch;

/// <summary>
/// The running kernel's symbols, for livepatch's (name, sympos) addressing: System.map from ORIG_CONFIG (what
/// the kernel the module loads into has, in kallsyms order), and the build tree's vmlinux, whose symbol table
/// says which source file each local symbol came from (System.map does not) and links the same objects in
/// the same order. sympos is 0 for a name the object has once, else the 1-based place among same-named
/// symbols in address order. A loadable module's symbols come from its .ko (<see cref="ModuleSymbols"/>), found by
/// the module's name when an update first asks for them.
/// </summary>
public sealed class KernelSymbols
{
    public const string Vmlinux = "vmlinux";

    private readonly Dictionary<string, List<(ulong Address, char Type)>> _map;
    private readonly Lazy<VmlinuxFiles?> _vmlinux;
    private readonly Func<string, (string Path, string Source)?> _moduleFile;
    private readonly Dictionary<string, ModuleSymbols> _modules = new(StringComparer.Ordinal);
    private readonly string _source;

    /// <summary>Where the positions come from, for the manifest: vmlinux's, then each module's that was read.</summary>
    public string Source => string.Join("; ", _modules.Values.Select(m => $"module {m.Name}: {m.Source}").Prepend(_source));

    private KernelSymbols(Dictionary<string, List<(ulong, char)>> map, string source, string? vmlinuxPath, Func<string, (string, string)?>? moduleFile)
    {
        _map = map;
        _source = source;
        _vmlinux = new(() => vmlinuxPath != null && File.Exists(vmlinuxPath) ? new VmlinuxFiles(ElfFile.Open(vmlinuxPath)) : null);
        _moduleFile = moduleFile ?? (_ => null);
    }

    /// <summary>
    /// From a System.map (preferred: the running kernel's own), else from the vmlinux alone; a module's symbols from
    /// the .ko <paramref name="moduleFile"/> names for it (its path and how to name it in the manifest).
    /// </summary>
    public static KernelSymbols Load(string? systemMap, string systemMapSource, string? vmlinux, Func<string, (string Path, string Source)?>? moduleFile = null)
    {
        if (systemMap != null && File.Exists(systemMap))
            return new KernelSymbols(ParseSystemMap(File.ReadLines(systemMap)), systemMapSource, vmlinux, moduleFile);
        if (vmlinux == null || !File.Exists(vmlinux))
            throw new Reporting.UserError("no System.map in ORIG_CONFIG and no vmlinux in the build tree: the running kernel's symbol positions are unknown; put its System.map in the --config directory");
        var elf = ElfFile.Open(vmlinux);
        var map = new Dictionary<string, List<(ulong, char)>>(StringComparer.Ordinal);
        foreach (var s in elf.Symbols.Where(s => s.Name.Length > 0 && s.Section != null && s.Type is SymbolType.Func or SymbolType.Object or SymbolType.NoType)
                     .OrderBy(s => s.Value))
            Add(map, s.Name, s.Value, s.IsLocal ? 't' : 'T');
        return new KernelSymbols(map, "the build tree's vmlinux", vmlinux, moduleFile);
    }

    public static Dictionary<string, List<(ulong, char)>> ParseSystemMap(IEnumerable<string> lines)
    {
        var map = new Dictionary<string, List<(ulong, char)>>(StringComparer.Ordinal);
        foreach (var line in lines)
        {
            var parts = line.Split(' ', 3);
            if (parts.Length != 3 || parts[1].Length != 1 || !ulong.TryParse(parts[0], System.Globalization.NumberStyles.HexNumber, null, out var address)) continue;
            char type = parts[1][0];
            if (type is 'A' or 'a' or 'U' or 'w' or 'N' or 'n') continue; // not in kallsyms
            Add(map, parts[2], address, type);
        }
        foreach (var list in map.Values) list.Sort((a, b) => a.Item1.CompareTo(b.Item1));
        return map;
    }

    private static void Add(Dictionary<string, List<(ulong, char)>> map, string name, ulong address, char type)
    {
        if (!map.TryGetValue(name, out var list)) map[name] = list = [];
        list.Add((address, type));
    }

    public bool Contains(string name) => _map.ContainsKey(name);

    /// <summary>Whether <paramref name="kernelObject"/> (vmlinux or a module's name) has a symbol of that name.</summary>
    public bool Contains(string kernelObject, string name) =>
        kernelObject == Vmlinux ? Contains(name) : Module(kernelObject).Contains(name);

    /// <summary>The sympos of <paramref name="name"/> in <paramref name="kernelObject"/>: vmlinux's, or a module's own.</summary>
    public int? Position(string kernelObject, string name, bool isLocal, string? sourceFile, IReadOnlyCollection<string> neighbours) =>
        kernelObject == Vmlinux ? Position(name, isLocal, sourceFile, neighbours) : Module(kernelObject).Position(name, isLocal, sourceFile, neighbours);

    /// <summary>Why a module's symbols cannot be read (no .ko, not an object file), or null when they can.</summary>
    public string? ModuleProblem(string name)
    {
        try
        {
            Module(name);
            return null;
        }
        catch (Reporting.UserError e)
        {
            return e.Message;
        }
        catch (Exception e) when (e is ElfFormatException or IOException)
        {
            return $"module {name}, whose .ko cannot be read: {e.Message}";
        }
    }

    private ModuleSymbols Module(string name)
    {
        if (_modules.TryGetValue(name, out var known)) return known;
        var (path, source) = _moduleFile(name) ?? throw new Reporting.UserError(
            $"module {name}, whose .ko is neither in the pre build's outputs nor in the build tree, so the positions of its symbols are unknown; build the modules with the kernel (ksplice.buildCommand: make vmlinux modules)");
        return _modules[name] = ModuleSymbols.Open(name, path, source);
    }

    /// <summary>
    /// The sympos of <paramref name="name"/>: 0 when unique; for a global, its place among same-named symbols; for
    /// a local of the source file <paramref name="sourceFile"/> (an object's STT_FILE name), its place found through
    /// vmlinux's file symbols. Null when the kernel has no such symbol; an error when it cannot be told apart.
    /// </summary>
    public int? Position(string name, bool isLocal, string? sourceFile, IReadOnlyCollection<string> neighbours)
    {
        if (!_map.TryGetValue(name, out var entries)) return null;
        if (entries.Count == 1) return 0;
        if (!isLocal)
        {
            var globals = entries.Select((e, i) => (e, i)).Where(x => char.IsUpper(x.e.Type)).ToList();
            if (globals.Count == 1) return globals[0].i + 1;
        }
        var vmlinux = _vmlinux.Value ?? throw new Reporting.UserError(
            $"{name} has {entries.Count} symbols of that name in the running kernel and there is no vmlinux in the build tree to tell which one is {sourceFile}'s");
        var places = vmlinux.Places(name);
        if (places.Count != entries.Count)
            throw new Reporting.UserError($"{name}: the running kernel has {entries.Count} symbols of that name but the build tree's vmlinux has {places.Count}; the ORIG_CONFIG System.map does not belong to the pre source's kernel");
        var ours = places.Select((p, i) => (p, i)).Where(x => x.p.File == sourceFile && x.p.Local == isLocal).ToList();
        if (ours.Count > 1)
        {
            // Two files of one name (several core.c): the one whose other locals the object also has.
            int best = ours.Max(x => vmlinux.Overlap(x.p.FileIndex, neighbours));
            ours = ours.Where(x => vmlinux.Overlap(x.p.FileIndex, neighbours) == best).ToList();
        }
        if (ours.Count != 1)
            throw new Reporting.UserError($"{name} ({sourceFile}): {ours.Count} of the kernel's {entries.Count} symbols of that name could be this object's; cannot tell which one to patch");
        return ours[0].i + 1;
    }

    /// <summary>vmlinux's symbol table grouped by the STT_FILE symbol each local follows.</summary>
    private sealed class VmlinuxFiles
    {
        private readonly Dictionary<string, List<(ulong Value, string? File, int FileIndex, bool Local)>> _byName = new(StringComparer.Ordinal);
        private readonly Dictionary<int, HashSet<string>> _localsOfFile = [];

        public VmlinuxFiles(ElfFile elf)
        {
            string? file = null;
            int fileIndex = -1;
            foreach (var s in elf.Symbols)
            {
                if (s.Type == SymbolType.File) { file = s.Name; fileIndex = s.Index; continue; }
                if (s.Name.Length == 0 || s.Section == null || s.Type is SymbolType.Section) continue;
                bool local = s.IsLocal;
                if (!_byName.TryGetValue(s.Name, out var list)) _byName[s.Name] = list = [];
                list.Add((s.Value, local ? file : null, local ? fileIndex : -1, local));
                if (local)
                {
                    if (!_localsOfFile.TryGetValue(fileIndex, out var set)) _localsOfFile[fileIndex] = set = new(StringComparer.Ordinal);
                    set.Add(s.Name);
                }
            }
            foreach (var list in _byName.Values) list.Sort((a, b) => a.Value.CompareTo(b.Value));
        }

        public IReadOnlyList<(ulong Value, string? File, int FileIndex, bool Local)> Places(string name) =>
            _byName.TryGetValue(name, out var list) ? list : [];

        public int Overlap(int fileIndex, IReadOnlyCollection<string> names) =>
            _localsOfFile.TryGetValue(fileIndex, out var set) ? names.Count(set.Contains) : 0;
    }
}
