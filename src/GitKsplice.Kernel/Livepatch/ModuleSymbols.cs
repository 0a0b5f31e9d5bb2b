using GitKsplice.Elf;

namespace GitKsplice.Livepatch;

/// <summary>
/// A loadable module's symbols as the livepatch core searches them (klp_find_object_symbol through
/// module_kallsyms_on_each_symbol): the module's own symbol table in file order, never sorted by address.
/// While the module is coming (a patch waiting for it), the kernel walks every defined symbol of the .ko; once
/// its init has run, only the core ones (named, in an allocated section that is not .init). A position is
/// given only when it names the same symbol in both walks. The module is the pre build's .ko: an ordinary
/// build of the same source has the same symbols in the same order (gcc emits them in source order with or
/// without -ffunction-sections).
/// </summary>
public sealed class ModuleSymbols
{
    private readonly List<Entry> _entries = [];
    private readonly Dictionary<string, List<int>> _byName = new(StringComparer.Ordinal);

    /// <summary>The module's name as the kernel knows it ('-' as '_').</summary>
    public string Name { get; }

    /// <summary>The .ko the positions were read from, for the manifest.</summary>
    public string Source { get; }

    private sealed record Entry(string Name, bool Local, bool Core, string? File, int FileIndex);

    public ModuleSymbols(string name, ElfFile module, string source)
    {
        Name = name;
        Source = source;
        string? file = null;
        int fileIndex = -1;
        foreach (var s in module.Symbols)
        {
            if (s.Type == SymbolType.File) { file = s.Name; fileIndex = s.Index; }
            if (s.SectionIndex == 0 || s.Name.Length == 0) continue; // undefined: never walked; unnamed: never matched
            bool core = s.Section is { } section && (section.Flags & SectionFlags.Alloc) != 0
                && !section.Name.StartsWith(".init", StringComparison.Ordinal);
            if (!_byName.TryGetValue(s.Name, out var list)) _byName[s.Name] = list = [];
            list.Add(_entries.Count);
            _entries.Add(new Entry(s.Name, s.IsLocal, core, s.IsLocal ? file : null, s.IsLocal ? fileIndex : -1));
        }
    }

    public static ModuleSymbols Open(string name, string path, string source) => new(name, ElfFile.Open(path), source);

    /// <summary>Whether the module has a function or object of that name the livepatch core can find after init.</summary>
    public bool Contains(string name) => _byName.TryGetValue(name, out var list) && list.Any(i => _entries[i].Core);

    /// <summary>
    /// The sympos of <paramref name="name"/> in this module: 0 when the name is unique, else its 1-based place
    /// among same-named symbols in symbol-table order; a local is told apart by its source file
    /// (<paramref name="sourceFile"/>, the object's STT_FILE name) and the other locals it sits with. Null when the
    /// module has no such symbol; an error when it cannot be told apart or the two walks disagree.
    /// </summary>
    public int? Position(string name, bool isLocal, string? sourceFile, IReadOnlyCollection<string> neighbours)
    {
        if (!_byName.TryGetValue(name, out var all) || !all.Any(i => _entries[i].Core)) return null;
        if (all.Count == 1) return 0;
        var ours = all.Where(i => _entries[i].Local == isLocal && (!isLocal || _entries[i].File == sourceFile)).ToList();
        if (ours.Count > 1)
        {
            int best = ours.Max(i => Overlap(_entries[i].FileIndex, neighbours));
            ours = ours.Where(i => Overlap(_entries[i].FileIndex, neighbours) == best).ToList();
        }
        if (ours.Count != 1)
            throw new Reporting.UserError($"{name} ({sourceFile}): {ours.Count} of the {all.Count} symbols of that name in module {Name} could be this object's; cannot tell which one to patch");
        int whileComing = all.IndexOf(ours[0]) + 1;
        var core = all.Where(i => _entries[i].Core).ToList();
        int afterInit = core.IndexOf(ours[0]) + 1;
        if (afterInit == 0)
            throw new Reporting.UserError($"{name} is init code of module {Name}, freed once the module has started; there is nothing to patch");
        if (whileComing != afterInit)
            throw new Reporting.UserError($"{name} is symbol {whileComing} of that name in module {Name} while it loads but {afterInit} once its init code is freed; the livepatch core cannot address it by position (rename the .init symbol of that name)");
        return whileComing;
    }

    private int Overlap(int fileIndex, IReadOnlyCollection<string> names)
    {
        if (fileIndex < 0) return 0;
        var locals = _entries.Where(e => e.FileIndex == fileIndex).Select(e => e.Name).ToHashSet(StringComparer.Ordinal);
        return names.Count(locals.Contains);
    }
}
