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
    private List<Item>? _references;
    private List<Item>? _referencedBy;
    private HashSet<string>? _referrers;

    /// <summary>The items this one's relocations point at.</summary>
    public IReadOnlyList<Item> References => (IReadOnlyList<Item>?)_references ?? [];

    /// <summary>The items whose relocations point at this one.</summary>
    public IReadOnlyList<Item> ReferencedBy => (IReadOnlyList<Item>?)_referencedBy ?? [];

    /// <summary>Base names of the functions and objects whose relocations point at this one (built when first asked).</summary>
    public IReadOnlySet<string> Referrers =>
        _referrers ??= new HashSet<string>((_referencedBy ?? []).Select(i => i.BaseName), StringComparer.Ordinal);

    public void AddReference(Item to)
    {
        if (_references != null && _references.Contains(to)) return;
        (_references ??= []).Add(to);
        (to._referencedBy ??= []).Add(this);
    }

    public bool IsStaticLocal => !IsFunction && Symbol.IsLocal && BaseName != Name;

    /// <summary>
    /// Data the running kernel never writes: .rodata and const data that holds pointers (.data.rel.ro). A new
    /// copy can ride with the functions that use it.
    /// </summary>
    public bool IsReadOnly => !IsFunction && Symbol.Type != SymbolType.Tls
        && (!Section.IsWritable || Family == ".data.rel.ro");

    /// <summary>A compiler or kernel-macro static that an update gets fresh rather than sharing (see <see cref="KernelCatalogue.IsSpecialStatic"/>).</summary>
    public bool IsSpecialStatic => !IsFunction && KernelCatalogue.IsSpecialStatic(BaseName, Family);
    public override string ToString() => Name;
    // Identity is the object; the symbol index makes a cheaper hash than the runtime's object hash.
    public override int GetHashCode() => Symbol.Index;
    public override bool Equals(object? obj) => ReferenceEquals(this, obj);
}

/// <summary>
/// Where a relocation points, in terms that survive recompilation: a symbol and an offset into it rather than a
/// section offset; a string's text rather than its place in the string table; a constant's bytes; for a place
/// without a symbol (a jump table, an -O0 string in .rodata), its bytes and what its own relocations point at.
/// <see cref="Label"/> only names the place in explanations; it is not compared.
/// </summary>
internal readonly record struct Referent(ReferentKind Kind, ElfSymbol? Symbol, long Delta, ReadOnlyMemory<byte> Content = default,
    string? Links = null, string? Label = null)
{
    /// <summary>Whether two referents are the same apart from symbol names (which the caller compares).</summary>
    public bool SameContent(in Referent other) =>
        Kind == other.Kind && Delta == other.Delta && Links == other.Links && Content.Span.SequenceEqual(other.Content.Span);

    /// <summary>How the referent reads in an explanation; symbols are named by the caller.</summary>
    public string Describe() => Kind switch
    {
        ReferentKind.String => Content.Length == 0 && Label != null ? $"string in {Label}{Offset}" : $"string \"{Escape(Text(Content.Span))}\"{Offset}",
        ReferentKind.Constant => Content.Length == 0 ? $"constant in {Label}{Offset}" : $"constant 0x{Convert.ToHexString(Content.Span)}{Offset}",
        _ => Label ?? "",
    };

    private string Offset => Delta switch { 0 => "", > 0 => $"+{Delta}", _ => $"{Delta}" };

    private static ReadOnlySpan<byte> Text(ReadOnlySpan<byte> s) => s.IndexOf((byte)0) is var end and >= 0 ? s[..end] : s;

    private static string Escape(ReadOnlySpan<byte> text) =>
        Encoding.UTF8.GetString(text).Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n").Replace("\t", "\\t");
}

internal enum ReferentKind : byte
{
    /// <summary>A function or object (or an undefined symbol), plus an offset into it.</summary>
    Symbol,
    /// <summary>A string literal in a SHF_STRINGS section: compared by its text.</summary>
    String,
    /// <summary>An entry of a mergeable constant pool (.rodata.cst8): compared by its bytes.</summary>
    Constant,
    /// <summary>A place no symbol covers (a jump table, a table of constants), compared by its bytes and relocations.</summary>
    Anonymous,
}

/// <summary>One object file read for comparison: its functions and data objects and how they refer to each other.</summary>
internal sealed class ObjectModel
{
    private readonly Item?[] _itemBySymbol;
    private readonly Item[][] _itemsBySection;
    /// <summary>Offsets that references point at, per section, in places no symbol covers: where anonymous pieces begin.</summary>
    private readonly Dictionary<int, List<long>> _pieceStarts = [];
    private bool _pieceStartsSorted = true;
    private readonly bool[] _ignored;

    public ElfFile File { get; }
    public List<Item> Functions { get; } = [];
    public List<Item> Data { get; } = [];
    /// <summary>Bytes of code and data the comparison looked at, for throughput figures.</summary>
    public long ComparedBytes { get; private set; }

    public ObjectModel(ElfFile file, CancellationToken cancel = default)
    {
        File = file;
        if (file.Type != ObjectType.Relocatable)
            throw new ObjectFormatException($"{file.DisplayName}: not a relocatable object ({ObjectType.Name(file.Type)}); compare the .o files of a build, not linked binaries");
        if (file.Symbols.Count == 0)
            throw new ObjectFormatException($"{file.DisplayName}: has no symbol table (stripped?)");

        _ignored = file.Sections.Select(KernelCatalogue.IsIgnored).ToArray();
        _itemBySymbol = new Item?[file.Symbols.Count];
        var perSection = new int[file.Sections.Count];
        foreach (var sym in file.Symbols)
        {
            if ((sym.Index & 0xfff) == 0) cancel.ThrowIfCancellationRequested();
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
            perSection[section.Index]++;
        }
        // Items by section, in address order, as arrays sized up front (tens of thousands of sections are common).
        _itemsBySection = perSection.Select(n => n == 0 ? [] : new Item[n]).ToArray();
        foreach (var item in Functions.Concat(Data))
            _itemsBySection[item.Section.Index][--perSection[item.Section.Index]] = item;
        foreach (var items in _itemsBySection)
            if (items.Length > 1)
                Array.Sort(items, (a, b) => a.Start != b.Start ? a.Start.CompareTo(b.Start) : b.Size.CompareTo(a.Size));
        RequireFunctionSections();
        cancel.ThrowIfCancellationRequested();
        LinkReferences();
    }

    public Item? ItemFor(ElfSymbol symbol) => _itemBySymbol[symbol.Index];

    /// <summary>The source file the object was compiled from, as its STT_FILE symbol names it.</summary>
    public string? SourceFile => File.Symbols.FirstOrDefault(s => s.Type == SymbolType.File && s.Name.Length > 0)?.Name;

    /// <summary>The bytes of an item; empty for SHT_NOBITS (.bss) data.</summary>
    public ReadOnlySpan<byte> Bytes(Item item) =>
        item.Section.IsNoBits ? [] : item.Section.Contents.Span.Slice((int)item.Start, (int)item.Size);

    /// <summary>The relocations inside an item's byte range.</summary>
    public ReadOnlySpan<ElfRelocation> Relocations(Item item)
    {
        return RelocationsIn(item.Section, item.Start, item.Start + item.Size);
    }

    public void CountCompared(Item item) => ComparedBytes += (long)item.Size;

    /// <summary>Resolves what a relocation points at (see <see cref="Referent"/>).</summary>
    public Referent Resolve(ElfSection from, in ElfRelocation r)
    {
        var symbol = File.SymbolAt(r.SymbolIndex);
        var section = symbol.Section;
        if (section == null || !NamesPlace(symbol))
            return new Referent(ReferentKind.Symbol, symbol, r.Addend);
        long offset = r.Addend + (long)symbol.Value;
        int bias = RelocationTypes.ReferentBias(File.Machine, r.Type, from.Contents.Span, r.Offset);
        if (section.IsStrings) return StringAt(section, offset, bias);
        if (section.IsMerge && section.EntrySize > 0) return ConstantAt(section, offset, bias);
        var covering = Covering(section, offset + bias);
        if (covering != null) return new Referent(ReferentKind.Symbol, covering.Symbol, offset - (long)covering.Start);
        return PieceAt(section, offset, bias);
    }

    /// <summary>
    /// Section symbols and local labels (.LC0, .L5) name a place rather than a thing: what lies there is what a
    /// reference through them means.
    /// </summary>
    private bool NamesPlace(ElfSymbol s) =>
        s.Type == SymbolType.Section || s.Type == SymbolType.NoType && s.IsLocal && ItemFor(s) == null;

    /// <summary>The function or data object a relocation points at, if any (no keys built: for linking only).</summary>
    private Item? ReferencedItem(ElfSection from, in ElfRelocation r)
    {
        var symbol = File.SymbolAt(r.SymbolIndex);
        var section = symbol.Section;
        if (section == null || !NamesPlace(symbol)) return ItemFor(symbol);
        if (section.IsStrings || section.IsMerge && section.EntrySize > 0) return null;
        long offset = r.Addend + (long)symbol.Value + RelocationTypes.ReferentBias(File.Machine, r.Type, from.Contents.Span, r.Offset);
        var item = Covering(section, offset);
        if (item == null) AddPieceStart(section, offset);
        return item;
    }

    /// <summary>
    /// A place no symbol covers: the bytes from it to the next place anything refers to (or the end of the
    /// section), trailing zero padding left out, and what the relocations inside point at. An entry of a kernel
    /// metadata section (a dynamic-debug descriptor) is compared by its relocations only: its own bytes hold the
    /// line number and flags the kernel keeps there.
    /// </summary>
    private Referent PieceAt(ElfSection section, long offset, int bias)
    {
        long at = offset + bias;
        string label = $"{SymbolNames.BaseName(section.Name)}+0x{Math.Max(at, 0):x}";
        if (at < 0 || (ulong)at > section.Size) return new Referent(ReferentKind.Anonymous, null, offset, Links: section.Name, Label: label);
        long end = PieceEnd(section, at);
        var links = new StringBuilder(SymbolNames.BaseName(section.Name));
        foreach (var r in RelocationsIn(section, (ulong)at, (ulong)end))
            links.Append(' ').Append(r.Offset - (ulong)at).Append(':').Append(r.Type).Append(':').Append(Name(section, r));
        if (_ignored[section.Index])
            return new Referent(ReferentKind.Anonymous, null, -bias, Links: links.ToString(), Label: $"entry of {section.Name}");
        var bytes = section.IsNoBits ? ReadOnlyMemory<byte>.Empty : section.Contents[(int)at..(int)end];
        int used = bytes.Span.LastIndexOfAnyExcept((byte)0) + 1;
        bytes = bytes[..used];
        bool text = links.Length == SymbolNames.BaseName(section.Name).Length && LooksLikeText(bytes.Span);
        return new Referent(text ? ReferentKind.String : ReferentKind.Anonymous, null, -bias, bytes, links.ToString(),
            text ? null : $"{label} ({used} bytes)");
    }

    /// <summary>What a relocation inside an anonymous place points at, named without looking further.</summary>
    private string Name(ElfSection from, in ElfRelocation r)
    {
        var symbol = File.SymbolAt(r.SymbolIndex);
        var section = symbol.Section;
        if (section == null || !NamesPlace(symbol)) return SymbolNames.BaseName(symbol.Name) + "+" + r.Addend;
        long offset = r.Addend + (long)symbol.Value;
        if (section.IsStrings || section.IsMerge && section.EntrySize > 0)
        {
            var t = Resolve(from, r);
            return t.Describe() + ":" + Convert.ToHexString(t.Content.Span);
        }
        int bias = RelocationTypes.ReferentBias(File.Machine, r.Type, from.Contents.Span, r.Offset);
        return Covering(section, offset + bias) is { } item
            ? $"{SymbolNames.BaseName(item.Name)}+{offset - (long)item.Start}"
            : SymbolNames.BaseName(section.Name);
    }

    /// <summary>Printable text ending in a terminator: how a string literal in a plain .rodata section looks.</summary>
    private static bool LooksLikeText(ReadOnlySpan<byte> bytes)
    {
        int end = bytes.IndexOf((byte)0);
        if (end <= 0 && bytes.Length == 0) return false;
        var text = end < 0 ? bytes : bytes[..end];
        if (text.Length == 0) return false;
        foreach (var b in text)
            if (b < 0x20 && b is not (byte)'\n' and not (byte)'\t' and not (byte)'\r' || b == 0x7f) return false;
        return true;
    }

    /// <summary>Where the anonymous place starting at <paramref name="at"/> ends: the next place referred to, or the next item.</summary>
    private long PieceEnd(ElfSection section, long at)
    {
        long end = (long)(section.IsNoBits ? section.Size : (ulong)section.Contents.Length);
        if (SortedPieceStarts(section) is { } starts)
        {
            int i = starts.BinarySearch(at + 1);
            if (i < 0) i = ~i;
            if (i < starts.Count) end = Math.Min(end, starts[i]);
        }
        foreach (var item in _itemsBySection[section.Index])
            if ((long)item.Start > at) { end = Math.Min(end, (long)item.Start); break; }
        return end;
    }

    /// <summary>The places referred to in a section, in order; sorted here, never while someone walks them.</summary>
    private List<long>? SortedPieceStarts(ElfSection section)
    {
        if (!_pieceStartsSorted) { foreach (var list in _pieceStarts.Values) list.Sort(); _pieceStartsSorted = true; }
        return _pieceStarts.GetValueOrDefault(section.Index);
    }

    private void AddPieceStart(ElfSection section, long offset)
    {
        if (!_pieceStarts.TryGetValue(section.Index, out var starts)) _pieceStarts[section.Index] = starts = [];
        starts.Add(offset);
        _pieceStartsSorted = false;
    }

    /// <summary>Whether a section is one the comparison sets aside by a rule of <see cref="KernelRules"/>.</summary>
    public bool IsIgnored(ElfSection section) => _ignored[section.Index];

    /// <summary>
    /// The bytes of a section that no comparison looks at: outside every function and data object and every
    /// anonymous place a compared item refers to. Returned as the first differing-sensitive text: the bytes
    /// (trailing zero padding left out) and what the relocations among them point at, with where the first of
    /// them lies. Empty when every byte is claimed.
    /// </summary>
    public (string Content, long FirstOffset) UnclaimedBytes(ElfSection section)
    {
        long size = section.IsNoBits ? 0 : section.Contents.Length;
        var claimed = new List<(long Start, long End)>();
        foreach (var item in _itemsBySection[section.Index]) claimed.Add(((long)item.Start, (long)(item.Start + item.Size)));
        if (SortedPieceStarts(section) is { } starts)
            foreach (var start in starts)
                if (start >= 0 && start < size) claimed.Add((start, PieceEnd(section, start)));
        claimed.Sort();
        var text = new StringBuilder();
        long first = -1, at = 0;
        void Gap(long from, long to)
        {
            if (to <= from) return;
            var bytes = section.Contents.Span[(int)from..(int)to];
            if (RelocationsIn(section, (ulong)from, (ulong)to).Length == 0
                && (!bytes.ContainsAnyExcept((byte)0) || section.IsExecutable && IsPadding(bytes))) return;
            if (first < 0) first = from;
            text.Append(Convert.ToHexString(bytes));
            foreach (var r in RelocationsIn(section, (ulong)from, (ulong)to))
                text.Append(' ').Append(r.Offset - (ulong)from).Append(':').Append(r.Type).Append(':').Append(Name(section, r));
            text.Append('|');
        }
        foreach (var (start, end) in claimed)
        {
            Gap(at, Math.Min(start, size));
            at = Math.Max(at, Math.Min(end, size));
        }
        Gap(at, size);
        return (text.ToString(), first);
    }

    /// <summary>
    /// No-operation fill in code (-fpatchable-function-entry's NOPs before a function, alignment): x86 NOP and
    /// INT3 bytes, AArch64 NOP words.
    /// </summary>
    private bool IsPadding(ReadOnlySpan<byte> bytes)
    {
        if (File.Machine is Machine.X86_64 or Machine.I386) return !bytes.ContainsAnyExcept((byte)0x90, (byte)0xCC);
        if (File.Machine != Machine.AArch64 || bytes.Length % 4 != 0) return false;
        for (int i = 0; i < bytes.Length; i += 4)
            if (File.U32(bytes, i) != 0xd503201f) return false;
        return true;
    }

    /// <summary>The relocations applied to bytes [<paramref name="start"/>, <paramref name="end"/>) of a section.</summary>
    public ReadOnlySpan<ElfRelocation> RelocationsIn(ElfSection section, ulong start, ulong end)
    {
        var all = File.RelocationsFor(section);
        int lo = LowerBound(all, start), hi = LowerBound(all, end);
        return all[lo..Math.Max(lo, hi)];
    }

    /// <summary>The function or object whose range holds <paramref name="offset"/> of <paramref name="section"/>.</summary>
    public Item? Covering(ElfSection section, long offset)
    {
        var items = _itemsBySection[section.Index];
        // With -fdata-sections an object fills its section: an offset just outside it (an end pointer) is still it.
        if (items.Length == 1 && items[0].Start == 0 && items[0].Size == section.Size) return items[0];
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
    private static Referent StringAt(ElfSection section, long offset, int bias)
    {
        var data = section.Contents.Span;
        if (data.Length == 0) return new Referent(ReferentKind.String, null, offset, Links: section.Name, Label: SymbolNames.BaseName(section.Name));
        long at = Math.Clamp(offset + bias, 0, data.Length - 1);
        int width = section.EntrySize is 2 or 4 ? (int)section.EntrySize : 1;
        at -= at % width;
        long start = at;
        while (start >= width && !IsZero(data.Slice((int)start - width, width))) start -= width;
        long end = at;
        while (end + width <= data.Length && !IsZero(data.Slice((int)end, width))) end += width;
        return new Referent(ReferentKind.String, null, offset - start, section.Contents[(int)start..(int)end]);
    }

    /// <summary>The entry of a mergeable constant pool a relocation points at.</summary>
    private static Referent ConstantAt(ElfSection section, long offset, int bias)
    {
        long entry = section.EntrySize <= (ulong)section.Contents.Length ? (long)section.EntrySize : 0;
        long at = offset + bias;
        long start = entry == 0 ? -1 : at - ((at % entry) + entry) % entry;
        if (section.IsNoBits || start < 0 || start + entry > section.Contents.Length)
            return new Referent(ReferentKind.Constant, null, offset, Links: section.Name, Label: SymbolNames.BaseName(section.Name));
        return new Referent(ReferentKind.Constant, null, offset - start, section.Contents.Slice((int)start, (int)entry));
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
                var to = ReferencedItem(section, r);
                var from = Covering(section, (long)r.Offset);
                if (from == null || to == null || to == from) continue;
                from.AddReference(to);
            }
        }
    }

    /// <summary>".text.foo" → ".text", ".text.unlikely.foo" → ".text", ".data..once" stays as it is.</summary>
    internal static string Family(string section, string symbol)
    {
        // The usual case, decided without allocating: the section is a known prefix plus the symbol's own name.
        if (section.Length > symbol.Length + 1 && section.EndsWith(symbol, StringComparison.Ordinal)
            && section[section.Length - symbol.Length - 1] == '.')
        {
            var prefix = section.AsSpan(0, section.Length - symbol.Length);
            foreach (var (known, family) in FamilyPrefixes)
                if (prefix.SequenceEqual(known)) return family;
        }
        foreach (var (prefix, family) in FamilyPrefixes)
        {
            if (!section.StartsWith(prefix, StringComparison.Ordinal) || section.Length == prefix.Length) continue;
            var rest = section[prefix.Length..];
            if (rest == symbol) return family;
            // A numbered name, or a .cold piece in its parent's section (.text.unlikely.foo.constprop.0 holds foo.constprop.3.cold).
            string restBase = SymbolNames.BaseName(rest), symbolBase = SymbolNames.BaseName(symbol);
            if (restBase == symbolBase || symbolBase.StartsWith(restBase + ".", StringComparison.Ordinal)) return family;
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
