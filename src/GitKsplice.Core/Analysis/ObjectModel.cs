using System.Security.Cryptography;
using System.Text;
using GitKsplice.Elf;

namespace GitKsplice.Analysis;

/// <summary>A function or data object of one object file, with the byte range and relocations that make it up.</summary>
internal sealed class Item
{
    public required ElfSymbol Symbol { get; init; }
    public required bool IsFunction { get; init; }
    public string Name => Symbol.Name;
    public required string BaseName { get; init; }
    public ElfSection Section => Symbol.Section!;
    public required ulong Start { get; init; }
    public required ulong Size { get; init; }
    /// <summary>The section's kind with the symbol's own name taken away: ".text", ".data", ".init.text", ".data..once".</summary>
    public required string Family { get; init; }
    private static readonly HashSet<string> NoReferrers = [];
    private static readonly HashSet<Item> NoReferences = [];
    private HashSet<string>? _referrers;
    private HashSet<Item>? _references;

    /// <summary>Base names of the functions and objects whose relocations point at this one.</summary>
    public IReadOnlySet<string> Referrers => _referrers ?? NoReferrers;
    /// <summary>The items this one's relocations point at.</summary>
    public IReadOnlySet<Item> References => _references ?? NoReferences;

    public void AddReference(Item to)
    {
        if ((_references ??= []).Add(to)) (to._referrers ??= new(StringComparer.Ordinal)).Add(BaseName);
    }

    public bool IsStaticLocal => !IsFunction && Symbol.IsLocal && BaseName != Name;
    public override string ToString() => Name;
    // Identity is the object; the symbol index makes a cheaper hash than the runtime's object hash.
    public override int GetHashCode() => Symbol.Index;
    public override bool Equals(object? obj) => ReferenceEquals(this, obj);
}

/// <summary>
/// Where a relocation points, in terms that survive recompilation: a symbol and an offset into it rather than a
/// section offset; a string's text rather than its place in the string table; a constant's bytes.
/// </summary>
internal readonly record struct Target(TargetKind Kind, ElfSymbol? Symbol, long Delta, ReadOnlyMemory<byte> Content = default,
    string? Place = null)
{
    /// <summary>Whether two targets are the same apart from symbol names (which the caller compares).</summary>
    public bool SameContent(in Target other) =>
        Kind == other.Kind && Delta == other.Delta && Place == other.Place && Content.Span.SequenceEqual(other.Content.Span);

    /// <summary>How the target reads in an explanation; symbols are named by the caller.</summary>
    public string Describe() => Kind switch
    {
        TargetKind.String => Content.Length == 0 && Place != null ? $"string in {Place}{Offset}" : $"string \"{Escape(Content.Span)}\"{Offset}",
        TargetKind.Constant => Content.Length == 0 ? $"constant in {Place}{Offset}" : $"constant 0x{Convert.ToHexString(Content.Span)}{Offset}",
        _ => Place ?? "",
    };

    private string Offset => Delta switch { 0 => "", > 0 => $"+{Delta}", _ => $"{Delta}" };

    private static string Escape(ReadOnlySpan<byte> text) =>
        Encoding.UTF8.GetString(text).Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n").Replace("\t", "\\t");
}

internal enum TargetKind : byte
{
    /// <summary>A function or object (or an undefined symbol), plus an offset into it.</summary>
    Symbol,
    /// <summary>A string literal in a SHF_STRINGS section: compared by its text.</summary>
    String,
    /// <summary>An entry of a mergeable constant pool (.rodata.cst8): compared by its bytes.</summary>
    Constant,
    /// <summary>A place in a section without symbols (a jump table), compared by a digest of the section.</summary>
    Anonymous,
}

/// <summary>One object file read for comparison: its functions and data objects and how they refer to each other.</summary>
internal sealed class ObjectModel
{
    private readonly Item?[] _itemBySymbol;
    private readonly Item[][] _itemsBySection;
    private readonly Dictionary<int, string> _sectionFingerprints = [];
    private readonly bool[] _ignored;

    public ElfFile File { get; }
    public List<Item> Functions { get; } = [];
    public List<Item> Data { get; } = [];
    /// <summary>Bytes of code and data the comparison looked at, for throughput figures.</summary>
    public long ComparedBytes { get; private set; }

    public ObjectModel(ElfFile file)
    {
        File = file;
        if (file.Type != ObjectType.Relocatable)
            throw new ObjectFormatException($"{file.DisplayName}: not a relocatable object ({ObjectType.Name(file.Type)}); compare the .o files of a build, not linked binaries");
        if (file.Symbols.Count == 0)
            throw new ObjectFormatException($"{file.DisplayName}: has no symbol table (stripped?)");

        _ignored = file.Sections.Select(KernelRules.IsIgnored).ToArray();
        _itemBySymbol = new Item?[file.Symbols.Count];
        var bySection = new List<Item>?[file.Sections.Count];
        foreach (var sym in file.Symbols)
        {
            if (sym.Name.Length == 0 || sym.Section == null || _ignored[sym.Section.Index]) continue;
            bool function = sym.Type is SymbolType.Func or SymbolType.GnuIFunc;
            bool data = sym.Type is SymbolType.Object or SymbolType.Tls;
            if (!function && !data) continue;
            var section = sym.Section;
            ulong size = sym.Size;
            if (sym.Value > section.Size || size > section.Size - sym.Value)
                throw new ObjectFormatException($"{file.DisplayName}: symbol {sym.Name} extends past the end of section {section.Name}");
            var item = new Item
            {
                Symbol = sym, IsFunction = function, BaseName = SymbolNames.BaseName(sym.Name), Start = sym.Value,
                Size = size, Family = Family(section.Name, sym.Name),
            };
            (function ? Functions : Data).Add(item);
            _itemBySymbol[sym.Index] = item;
            (bySection[section.Index] ??= []).Add(item);
        }
        _itemsBySection = new Item[bySection.Length][];
        for (int i = 0; i < bySection.Length; i++)
        {
            var list = bySection[i];
            if (list is { Count: > 1 }) list.Sort((a, b) => a.Start != b.Start ? a.Start.CompareTo(b.Start) : b.Size.CompareTo(a.Size));
            _itemsBySection[i] = list == null ? [] : list.ToArray();
        }
        RequireFunctionSections();
        LinkReferences();
    }

    public Item? ItemFor(ElfSymbol symbol) => _itemBySymbol[symbol.Index];

    /// <summary>The bytes of an item; empty for SHT_NOBITS (.bss) data.</summary>
    public ReadOnlySpan<byte> Bytes(Item item) =>
        item.Section.IsNoBits ? [] : item.Section.Contents.Span.Slice((int)item.Start, (int)item.Size);

    /// <summary>The relocations inside an item's byte range.</summary>
    public ReadOnlySpan<ElfRelocation> Relocations(Item item)
    {
        var all = File.RelocationsFor(item.Section);
        int lo = LowerBound(all, item.Start), hi = LowerBound(all, item.Start + item.Size);
        if (item.Size == 0) hi = lo;
        return all[lo..hi];
    }

    public void CountCompared(Item item) => ComparedBytes += (long)item.Size;

    /// <summary>Resolves what a relocation points at (see <see cref="Target"/>).</summary>
    public Target Resolve(ElfSection from, in ElfRelocation r)
    {
        var symbol = File.SymbolAt(r.SymbolIndex);
        var section = symbol.Section;
        if (symbol.Type != SymbolType.Section || section == null)
            return new Target(TargetKind.Symbol, symbol, r.Addend);
        long offset = r.Addend + (long)symbol.Value;
        int bias = RelocationTypes.TargetBias(File.Machine, r.Type, from.Contents.Span, r.Offset);
        if (section.IsStrings) return StringAt(section, offset, bias);
        if (section.IsMerge && section.EntrySize > 0) return ConstantAt(section, offset, bias);
        var covering = Covering(section, offset + bias);
        if (covering != null) return new Target(TargetKind.Symbol, covering.Symbol, offset - (long)covering.Start);
        return new Target(TargetKind.Anonymous, null, 0, Place: $"{SymbolNames.BaseName(section.Name)}+{offset} [{Fingerprint(section)}]");
    }

    /// <summary>The function or data object a relocation points at, if any (no keys built: for linking only).</summary>
    private Item? ReferencedItem(ElfSection from, in ElfRelocation r)
    {
        var symbol = File.SymbolAt(r.SymbolIndex);
        var section = symbol.Section;
        if (symbol.Type != SymbolType.Section) return ItemFor(symbol);
        if (section == null || section.IsStrings || section.IsMerge && section.EntrySize > 0) return null;
        long offset = r.Addend + (long)symbol.Value + RelocationTypes.TargetBias(File.Machine, r.Type, from.Contents.Span, r.Offset);
        return Covering(section, offset);
    }

    /// <summary>The function or object whose range holds <paramref name="offset"/> of <paramref name="section"/>.</summary>
    public Item? Covering(ElfSection section, long offset)
    {
        var items = _itemsBySection[section.Index];
        if (items.Length == 1) return items[0]; // with -fdata-sections a section holds one object: no guessing
        int lo = 0, hi = items.Length; // first item starting after offset
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if ((long)items[mid].Start <= offset) lo = mid + 1; else hi = mid;
        }
        // The nearest start at or before offset whose range holds it (items may nest or share a start).
        for (int i = lo - 1; i >= 0 && i >= lo - 8; i--)
            if (offset < (long)(items[i].Start + Math.Max(items[i].Size, 1))) return items[i];
        return null;
    }

    /// <summary>The string a relocation into a SHF_STRINGS section points at, with the offset into it.</summary>
    private static Target StringAt(ElfSection section, long offset, int bias)
    {
        var data = section.Contents.Span;
        if (data.Length == 0) return new Target(TargetKind.String, null, offset, Place: SymbolNames.BaseName(section.Name));
        long at = Math.Clamp(offset + bias, 0, data.Length - 1);
        int width = section.EntrySize is 2 or 4 ? (int)section.EntrySize : 1;
        at -= at % width;
        long start = at;
        while (start >= width && !IsZero(data.Slice((int)start - width, width))) start -= width;
        long end = at;
        while (end + width <= data.Length && !IsZero(data.Slice((int)end, width))) end += width;
        return new Target(TargetKind.String, null, offset - start, section.Contents[(int)start..(int)end]);
    }

    /// <summary>The entry of a mergeable constant pool a relocation points at.</summary>
    private static Target ConstantAt(ElfSection section, long offset, int bias)
    {
        long entry = (long)section.EntrySize;
        long at = offset + bias;
        long start = at - ((at % entry) + entry) % entry;
        if (section.IsNoBits || start < 0 || start + entry > section.Contents.Length)
            return new Target(TargetKind.Constant, null, offset, Place: SymbolNames.BaseName(section.Name));
        return new Target(TargetKind.Constant, null, offset - start, section.Contents.Slice((int)start, (int)entry));
    }

    /// <summary>
    /// A digest of an anonymous section's bytes and relocations (jump tables, literal pools): a function that
    /// points into one is unchanged only if the table is.
    /// </summary>
    private string Fingerprint(ElfSection section)
    {
        if (_sectionFingerprints.TryGetValue(section.Index, out var known)) return known;
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(section.Contents.Span);
        var sb = new StringBuilder();
        foreach (var r in File.RelocationsFor(section))
        {
            var s = File.SymbolAt(r.SymbolIndex);
            sb.Append(r.Offset).Append(' ').Append(r.Type).Append(' ')
              .Append(s.Type == SymbolType.Section ? s.Section?.Name : SymbolNames.BaseName(s.Name))
              .Append(' ').Append(r.Addend).Append('\n');
        }
        hash.AppendData(Encoding.UTF8.GetBytes(sb.ToString()));
        var digest = Convert.ToHexString(hash.GetHashAndReset())[..12].ToLowerInvariant();
        _sectionFingerprints[section.Index] = digest;
        return digest;
    }

    /// <summary>
    /// Without -ffunction-sections the assembler resolves calls between functions of one section itself, so a
    /// change to one function's size changes its neighbours' bytes: such objects cannot be compared per function.
    /// </summary>
    private void RequireFunctionSections()
    {
        foreach (var s in File.Sections)
        {
            if (s.Name != ".text") continue;
            var starts = _itemsBySection[s.Index].Where(i => i.IsFunction && i.Size > 0).Select(i => i.Name).ToList();
            if (starts.Count > 1)
                throw new ObjectFormatException($"{File.DisplayName}: built without -ffunction-sections (.text holds {starts.Count} functions: {string.Join(", ", starts.Take(3))}{(starts.Count > 3 ? ", …" : "")}); rebuild with -ffunction-sections -fdata-sections");
        }
    }

    /// <summary>Records which item refers to which, ignoring the kernel's tables of call sites.</summary>
    private void LinkReferences()
    {
        foreach (var section in File.Sections)
        {
            if (_ignored[section.Index] || File.RelocationSectionFor(section) == null) continue;
            var items = _itemsBySection[section.Index];
            if (items.Length == 0) continue;
            foreach (var r in File.RelocationsFor(section))
            {
                var from = Covering(section, (long)r.Offset);
                if (from == null) continue;
                if (ReferencedItem(section, r) is not { } to || to == from) continue;
                from.AddReference(to);
            }
        }
    }

    /// <summary>".text.foo" → ".text", ".text.unlikely.foo" → ".text", ".data..once" stays as it is.</summary>
    internal static string Family(string section, string symbol)
    {
        foreach (var (prefix, family) in FamilyPrefixes)
        {
            if (!section.StartsWith(prefix, StringComparison.Ordinal) || section.Length == prefix.Length) continue;
            var rest = section[prefix.Length..];
            if (rest == symbol || SymbolNames.BaseName(rest) == SymbolNames.BaseName(symbol)) return family;
        }
        return section switch
        {
            ".text.unlikely" or ".text.hot" or ".text.startup" => ".text",
            _ => section,
        };
    }

    private static readonly (string Prefix, string Family)[] FamilyPrefixes =
    [
        (".text.unlikely.", ".text"), (".text.hot.", ".text"), (".text.startup.", ".text"), (".text.exit.", ".text"),
        (".text.", ".text"), (".data.rel.ro.local.", ".data.rel.ro"), (".data.rel.ro.", ".data.rel.ro"),
        (".data.rel.local.", ".data.rel"), (".data.rel.", ".data.rel"), (".rodata.", ".rodata"), (".data.", ".data"),
        (".bss.", ".bss"), (".tbss.", ".tbss"), (".tdata.", ".tdata"), (".sdata.", ".sdata"), (".sbss.", ".sbss"),
        (".srodata.", ".srodata"),
    ];

    private static int LowerBound(ReadOnlySpan<ElfRelocation> relocations, ulong offset)
    {
        int lo = 0, hi = relocations.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (relocations[mid].Offset < offset) lo = mid + 1; else hi = mid;
        }
        return lo;
    }

    private static bool IsZero(ReadOnlySpan<byte> s) => !s.ContainsAnyExcept((byte)0);
}
