using System.Buffers.Binary;
using System.Text;

namespace GitKsplice.Elf;

/// <summary>
/// An editable ELF64 little-endian relocatable object (x86-64 and the other RELA machines), written out as bytes.
/// Sections, symbols and relocations refer to each other as objects, so any of them can be added, removed or
/// reordered; indices, offsets, string tables and the symbol table (locals first, as the ELF rules want) are
/// made when the object is written. <see cref="From"/> reads an existing object in, for a rewrite.
/// </summary>
public sealed class ElfWriter
{
    /// <summary>SHF_RELA_LIVEPATCH: a relocation section the livepatch core applies, not the module loader.</summary>
    public const ulong RelaLivepatchFlag = 0x00100000;
    /// <summary>SHN_LIVEPATCH: a symbol the livepatch core resolves through kallsyms.</summary>
    public const uint LivepatchSectionIndex = 0xff20;
    private const int HeaderSize = 64, SectionHeaderSize = 64, SymbolSize = 24, RelaSize = 24;

    public ushort Machine { get; set; }
    public ushort Type { get; set; } = ObjectType.Relocatable;
    public uint Flags { get; set; }
    /// <summary>The sections in file order, without the null section 0.</summary>
    public List<Section> Sections { get; } = [];
    /// <summary>The symbols, without the null symbol 0; written locals first, each group in this order.</summary>
    public List<Symbol> Symbols { get; } = [];

    public ElfWriter(ushort machine) => Machine = machine;

    public enum Kind
    {
        /// <summary>Bytes (or, for SHT_NOBITS, only a size) written as they are.</summary>
        Data,
        /// <summary>SHT_RELA made from <see cref="Section.Relocations"/>, applying to <see cref="Section.Info"/>.</summary>
        Relocations,
        /// <summary>SHT_GROUP made from <see cref="Section.Members"/>.</summary>
        Group,
    }

    /// <summary>One section. <see cref="Link"/> and <see cref="Info"/> name sections where ELF gives them a section index.</summary>
    public sealed class Section(string name, uint type, SectionFlags flags)
    {
        public string Name { get; set; } = name;
        public uint Type { get; set; } = type;
        public SectionFlags Flags { get; set; } = flags;
        public Kind Kind { get; set; } = Kind.Data;
        public byte[] Contents { get; set; } = [];
        /// <summary>The size of a SHT_NOBITS section, which has no contents in the file.</summary>
        public ulong NoBitsSize { get; set; }
        public ulong Address { get; set; }
        public ulong AddressAlign { get; set; } = 1;
        public ulong EntrySize { get; set; }
        public Section? Link { get; set; }
        /// <summary>The section a relocation section applies to (or, with SHF_INFO_LINK, the section sh_info names).</summary>
        public Section? Info { get; set; }
        /// <summary>sh_info when it is not a section: a group's signature symbol, or a plain number.</summary>
        public Symbol? InfoSymbol { get; set; }
        public uint InfoNumber { get; set; }
        public List<Relocation> Relocations { get; } = [];
        public uint GroupFlags { get; set; }
        public List<Section> Members { get; } = [];

        public ulong Size => Type == SectionType.NoBits ? NoBitsSize : Kind switch
        {
            Kind.Relocations => (ulong)(Relocations.Count * RelaSize),
            Kind.Group => (ulong)(4 + 4 * Members.Count),
            _ => (ulong)Contents.Length,
        };

        public override string ToString() => Name;
    }

    /// <summary>One symbol: in a section, or at a special index (<see cref="SpecialIndex"/>: SHN_ABS, SHN_LIVEPATCH, …).</summary>
    public sealed class Symbol(string name, SymbolType type, SymbolBinding binding)
    {
        public string Name { get; set; } = name;
        public SymbolType Type { get; set; } = type;
        public SymbolBinding Binding { get; set; } = binding;
        public byte Other { get; set; }
        public Section? Section { get; set; }
        /// <summary>st_shndx when <see cref="Section"/> is null: 0 for undefined, or a reserved index.</summary>
        public uint SpecialIndex { get; set; }
        public ulong Value { get; set; }
        public ulong Size { get; set; }

        public override string ToString() => Name.Length > 0 ? Name : Section?.Name ?? "(unnamed)";
    }

    public sealed record Relocation(ulong Offset, uint Type, Symbol Symbol, long Addend);

    public Section AddSection(string name, uint type, SectionFlags flags, byte[] contents, ulong align = 1, ulong entrySize = 0)
    {
        var s = new Section(name, type, flags) { Contents = contents, AddressAlign = align, EntrySize = entrySize };
        Sections.Add(s);
        return s;
    }

    public Section AddNoBits(string name, SectionFlags flags, ulong size, ulong align = 1)
    {
        var s = new Section(name, SectionType.NoBits, flags) { NoBitsSize = size, AddressAlign = align };
        Sections.Add(s);
        return s;
    }

    /// <summary>The relocation section ".rela&lt;name&gt;" of <paramref name="target"/>, made on first use.</summary>
    public Section RelocationsOf(Section target)
    {
        var existing = Sections.FirstOrDefault(s => s.Kind == Kind.Relocations && s.Info == target
            && (s.Flags & (SectionFlags)RelaLivepatchFlag) == 0);
        if (existing != null) return existing;
        var rela = new Section(".rela" + target.Name, SectionType.Rela, SectionFlags.InfoLink)
        {
            Kind = Kind.Relocations, Info = target, AddressAlign = 8, EntrySize = RelaSize,
        };
        Sections.Add(rela);
        return rela;
    }

    public Symbol AddSymbol(string name, SymbolType type, SymbolBinding binding, Section? section, ulong value = 0, ulong size = 0)
    {
        var s = new Symbol(name, type, binding) { Section = section, Value = value, Size = size };
        Symbols.Add(s);
        return s;
    }

    /// <summary>Reads an object in for editing: every section, symbol and relocation, as they are.</summary>
    public static ElfWriter From(ElfFile file)
    {
        if (!file.Is64 || file.IsBigEndian)
            throw new ElfFormatException($"{file.DisplayName}: only ELF64 little-endian objects can be rewritten (this is {file.Description})");
        var writer = new ElfWriter(file.Machine) { Type = file.Type, Flags = file.Flags };
        var symbolTable = file.Sections.FirstOrDefault(s => s.Type == SectionType.SymTab);
        var sectionNames = file.SectionNameTableIndex is > 0 and var n && n < file.Sections.Count ? file.Sections[(int)n] : null;
        var map = new Section?[file.Sections.Count];
        foreach (var s in file.Sections)
        {
            // Made again on writing: the symbol table, its strings and the section names.
            if (s.Index == 0 || s.Type == SectionType.SymTab || s == sectionNames
                || symbolTable != null && s.Index == symbolTable.Link && s.Type == SectionType.StrTab)
                continue;
            if (s.Type is SectionType.Rel or SectionType.SymTabShndx or SectionType.DynSym or SectionType.Dynamic)
                throw new ElfFormatException($"{file.DisplayName}: section {s.Name} ({TypeName(s.Type)}) cannot be rewritten");
            var copy = new Section(s.Name, s.Type, s.Flags)
            {
                Address = s.Address, AddressAlign = Math.Max(s.AddressAlign, 1), EntrySize = s.EntrySize,
                Contents = s.Contents.ToArray(), NoBitsSize = s.IsNoBits ? s.Size : 0, InfoNumber = s.Info,
                Kind = s.Type switch { SectionType.Rela => Kind.Relocations, SectionType.Group => Kind.Group, _ => Kind.Data },
            };
            if (copy.Kind != Kind.Data) copy.Contents = [];
            map[s.Index] = copy;
            writer.Sections.Add(copy);
        }
        var symbols = new Symbol?[file.Symbols.Count];
        foreach (var sym in file.Symbols)
        {
            if (sym.Index == 0) continue;
            var copy = new Symbol(sym.Name, sym.Type, sym.Binding)
            {
                Other = sym.Visibility, Value = sym.Value, Size = sym.Size,
                Section = sym.Section == null ? null : map[sym.Section.Index],
                SpecialIndex = sym.Section == null ? sym.SectionIndex : 0,
            };
            if (sym.Section != null && copy.Section == null)
                throw new ElfFormatException($"{file.DisplayName}: symbol {sym.Name} is defined in {sym.Section.Name}, which cannot be rewritten");
            symbols[sym.Index] = copy;
            writer.Symbols.Add(copy);
        }
        foreach (var s in file.Sections)
        {
            if (map[s.Index] is not { } copy) continue;
            bool linkIsSection = s.Type is SectionType.Rela or SectionType.Group or SectionType.Hash
                || (s.Flags & SectionFlags.LinkOrder) != 0;
            if (linkIsSection && s.Link != 0)
                copy.Link = s.Link < map.Length && s.Link != symbolTable?.Index ? map[s.Link] : null;
            if (s.Type == SectionType.Rela || (s.Flags & SectionFlags.InfoLink) != 0)
            {
                if (s.Info >= map.Length || map[s.Info] == null && s.Info != 0)
                    throw new ElfFormatException($"{file.DisplayName}: section {s.Name} applies to section {s.Info}, which cannot be rewritten");
                copy.Info = s.Info == 0 ? null : map[s.Info];
            }
            if (s.Type == SectionType.Group)
            {
                copy.InfoSymbol = s.Info < symbols.Length ? symbols[s.Info] : null;
                var group = file.Groups.First(g => g.Section == s);
                copy.GroupFlags = group.Flags;
                copy.Members.AddRange(group.Members.Select(m => map[m.Index]
                    ?? throw new ElfFormatException($"{file.DisplayName}: group {s.Name} holds {m.Name}, which cannot be rewritten")));
            }
            if (s.Type == SectionType.Rela)
                foreach (var r in ReadRela(file, s))
                    copy.Relocations.Add(new Relocation(r.Offset, r.Type, symbols[r.SymbolIndex] ?? NullSymbol(file, s), r.Addend));
        }
        return writer;
    }

    private static Symbol NullSymbol(ElfFile file, ElfSection s) =>
        throw new ElfFormatException($"{file.DisplayName}: a relocation in {s.Name} uses symbol 0, which cannot be rewritten");

    /// <summary>The entries of any SHT_RELA section, also a second one for the same target (which the reader's lookup skips).</summary>
    public static IReadOnlyList<ElfRelocation> ReadRela(ElfFile file, ElfSection rela)
    {
        var data = rela.Contents.Span;
        int stride = rela.EntrySize >= RelaSize ? (int)rela.EntrySize : RelaSize;
        var result = new List<ElfRelocation>(data.Length / stride);
        for (int at = 0; at + RelaSize <= data.Length; at += stride)
        {
            ulong info = BinaryPrimitives.ReadUInt64LittleEndian(data[(at + 8)..]);
            uint symbol = (uint)(info >> 32);
            if (symbol >= file.Symbols.Count)
                throw new ElfFormatException($"{file.DisplayName}: relocation {at / stride} in {rela.Name} refers to symbol {symbol}, which does not exist");
            result.Add(new ElfRelocation(BinaryPrimitives.ReadUInt64LittleEndian(data[at..]), (uint)info, symbol,
                BinaryPrimitives.ReadInt64LittleEndian(data[(at + 16)..]), 0));
        }
        return result;
    }

    private static string TypeName(uint type) => type switch
    {
        SectionType.Rel => "SHT_REL",
        SectionType.SymTabShndx => "SHT_SYMTAB_SHNDX",
        SectionType.DynSym => "SHT_DYNSYM",
        SectionType.Dynamic => "SHT_DYNAMIC",
        _ => $"type {type}",
    };

    /// <summary>The object as bytes: ELF header, section contents, section header table.</summary>
    public byte[] ToBytes()
    {
        var locals = Symbols.Where(s => s.Binding == SymbolBinding.Local).ToList();
        var ordered = locals.Concat(Symbols.Where(s => s.Binding != SymbolBinding.Local)).ToList();
        var symbolIndex = new Dictionary<Symbol, int>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < ordered.Count; i++) symbolIndex[ordered[i]] = i + 1;

        var symtab = new Section(".symtab", SectionType.SymTab, SectionFlags.None) { AddressAlign = 8, EntrySize = SymbolSize };
        var strtab = new Section(".strtab", SectionType.StrTab, SectionFlags.None);
        var shstrtab = new Section(".shstrtab", SectionType.StrTab, SectionFlags.None);
        var all = new List<Section?> { null };
        all.AddRange(Sections);
        all.Add(symtab);
        all.Add(strtab);
        all.Add(shstrtab);
        if (all.Count >= SpecialSection.LoReserve)
            throw new InvalidOperationException($"{all.Count} sections: more than this writer can number without extended indices");
        var sectionIndex = new Dictionary<Section, int>(ReferenceEqualityComparer.Instance);
        for (int i = 1; i < all.Count; i++)
            if (!sectionIndex.TryAdd(all[i]!, i)) throw new InvalidOperationException($"section {all[i]} is listed twice");

        int Index(Section s, string user) => sectionIndex.TryGetValue(s, out var i) ? i
            : throw new InvalidOperationException($"{user} refers to section {s.Name}, which is not in the object");

        var symbolNames = new StringTable();
        foreach (var s in ordered) symbolNames.Add(s.Name);
        strtab.Contents = symbolNames.Build();
        var symbolBytes = new byte[(ordered.Count + 1) * SymbolSize];
        for (int i = 0; i < ordered.Count; i++)
        {
            var s = ordered[i];
            var e = symbolBytes.AsSpan((i + 1) * SymbolSize, SymbolSize);
            BinaryPrimitives.WriteUInt32LittleEndian(e, symbolNames.Offset(s.Name));
            e[4] = (byte)((byte)s.Binding << 4 | (byte)s.Type & 0xf);
            e[5] = s.Other;
            uint shndx = s.Section != null ? (uint)Index(s.Section, $"symbol {s.Name}") : s.SpecialIndex;
            BinaryPrimitives.WriteUInt16LittleEndian(e[6..], (ushort)shndx);
            BinaryPrimitives.WriteUInt64LittleEndian(e[8..], s.Value);
            BinaryPrimitives.WriteUInt64LittleEndian(e[16..], s.Size);
        }
        symtab.Contents = symbolBytes;
        symtab.Link = strtab;
        symtab.InfoNumber = (uint)locals.Count + 1;
        var sectionNames = new StringTable();
        foreach (var s in all) if (s != null) sectionNames.Add(s.Name);
        shstrtab.Contents = sectionNames.Build();
        var nameOffsets = all.Select(s => s == null ? 0u : sectionNames.Offset(s.Name)).ToArray();

        byte[] ContentsOf(Section s)
        {
            switch (s.Kind)
            {
                case Kind.Relocations:
                {
                    var bytes = new byte[s.Relocations.Count * RelaSize];
                    for (int i = 0; i < s.Relocations.Count; i++)
                    {
                        var r = s.Relocations[i];
                        if (!symbolIndex.TryGetValue(r.Symbol, out var sym))
                            throw new InvalidOperationException($"a relocation in {s.Name} uses symbol {r.Symbol}, which is not in the object");
                        var e = bytes.AsSpan(i * RelaSize, RelaSize);
                        BinaryPrimitives.WriteUInt64LittleEndian(e, r.Offset);
                        BinaryPrimitives.WriteUInt64LittleEndian(e[8..], (ulong)sym << 32 | r.Type);
                        BinaryPrimitives.WriteInt64LittleEndian(e[16..], r.Addend);
                    }
                    return bytes;
                }
                case Kind.Group:
                {
                    var bytes = new byte[4 + 4 * s.Members.Count];
                    BinaryPrimitives.WriteUInt32LittleEndian(bytes, s.GroupFlags);
                    for (int i = 0; i < s.Members.Count; i++)
                        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4 + 4 * i), (uint)Index(s.Members[i], $"group {s.Name}"));
                    return bytes;
                }
                default:
                    return s.Contents;
            }
        }

        var contents = all.Select(s => s == null || s.Type == SectionType.NoBits ? [] : ContentsOf(s)).ToArray();
        var offsets = new ulong[all.Count];
        ulong at = HeaderSize;
        for (int i = 1; i < all.Count; i++)
        {
            var s = all[i]!;
            if (s.Type == SectionType.NoBits) { offsets[i] = Align(at, s.AddressAlign); continue; }
            at = Align(at, s.AddressAlign);
            offsets[i] = at;
            at += (ulong)contents[i].Length;
        }
        ulong headersAt = Align(at, 8);
        var output = new byte[headersAt + (ulong)(all.Count * SectionHeaderSize)];
        var o = output.AsSpan();
        o[0] = 0x7f; o[1] = (byte)'E'; o[2] = (byte)'L'; o[3] = (byte)'F';
        o[4] = 2; o[5] = 1; o[6] = 1; // ELF64, little-endian, version 1
        BinaryPrimitives.WriteUInt16LittleEndian(o[16..], Type);
        BinaryPrimitives.WriteUInt16LittleEndian(o[18..], Machine);
        BinaryPrimitives.WriteUInt32LittleEndian(o[20..], 1);
        BinaryPrimitives.WriteUInt64LittleEndian(o[40..], headersAt);
        BinaryPrimitives.WriteUInt32LittleEndian(o[48..], Flags);
        BinaryPrimitives.WriteUInt16LittleEndian(o[52..], HeaderSize);
        BinaryPrimitives.WriteUInt16LittleEndian(o[58..], SectionHeaderSize);
        BinaryPrimitives.WriteUInt16LittleEndian(o[60..], (ushort)all.Count);
        BinaryPrimitives.WriteUInt16LittleEndian(o[62..], (ushort)(all.Count - 1));
        for (int i = 1; i < all.Count; i++)
        {
            var s = all[i]!;
            contents[i].CopyTo(o[(int)offsets[i]..]);
            var h = o.Slice((int)headersAt + i * SectionHeaderSize, SectionHeaderSize);
            uint link = s == symtab ? (uint)Index(strtab, "the symbol table")
                : s.Kind == Kind.Relocations ? (uint)Index(symtab, s.Name)
                : s.Kind == Kind.Group ? (uint)Index(symtab, s.Name)
                : s.Link == null ? 0 : (uint)Index(s.Link, $"section {s.Name}");
            uint info = s.Info != null ? (uint)Index(s.Info, $"section {s.Name}")
                : s.InfoSymbol != null ? (uint)symbolIndex[s.InfoSymbol]
                : s.InfoNumber;
            BinaryPrimitives.WriteUInt32LittleEndian(h, nameOffsets[i]);
            BinaryPrimitives.WriteUInt32LittleEndian(h[4..], s.Type);
            BinaryPrimitives.WriteUInt64LittleEndian(h[8..], (ulong)s.Flags);
            BinaryPrimitives.WriteUInt64LittleEndian(h[16..], s.Address);
            BinaryPrimitives.WriteUInt64LittleEndian(h[24..], offsets[i]);
            BinaryPrimitives.WriteUInt64LittleEndian(h[32..], s.Type == SectionType.NoBits ? s.NoBitsSize : (ulong)contents[i].Length);
            BinaryPrimitives.WriteUInt32LittleEndian(h[40..], link);
            BinaryPrimitives.WriteUInt32LittleEndian(h[44..], info);
            BinaryPrimitives.WriteUInt64LittleEndian(h[48..], s.AddressAlign);
            BinaryPrimitives.WriteUInt64LittleEndian(h[56..], s.Kind == Kind.Relocations ? RelaSize : s.Kind == Kind.Group ? 4 : s.EntrySize);
        }
        return output;
    }

    private static ulong Align(ulong at, ulong align) => align <= 1 ? at : (at + align - 1) / align * align;

    /// <summary>
    /// A string table where a string that ends another shares its bytes (".text.f" inside ".rela.text.f"), as
    /// binutils writes them. Offsets are known once every string is in: <see cref="Build"/>, then <see cref="Offset"/>.
    /// </summary>
    private sealed class StringTable
    {
        private readonly HashSet<string> _strings = new(StringComparer.Ordinal);
        private readonly Dictionary<string, uint> _offsets = new(StringComparer.Ordinal) { [""] = 0 };

        public void Add(string s) => _strings.Add(s);

        public uint Offset(string s) => _offsets[s];

        public byte[] Build()
        {
            var bytes = new MemoryStream();
            bytes.WriteByte(0);
            // In order of the reversed strings, longest first among shared endings: each string either ends the
            // one written before it or starts a new entry.
            var ordered = _strings.Where(s => s.Length > 0)
                .OrderByDescending(s => new string(s.Reverse().ToArray()), StringComparer.Ordinal).ToList();
            string? previous = null;
            uint previousAt = 0;
            foreach (var s in ordered)
            {
                if (previous != null && previous.EndsWith(s, StringComparison.Ordinal))
                {
                    _offsets[s] = previousAt + (uint)(Encoding.UTF8.GetByteCount(previous) - Encoding.UTF8.GetByteCount(s));
                    continue;
                }
                previousAt = (uint)bytes.Length;
                previous = s;
                _offsets[s] = previousAt;
                bytes.Write(Encoding.UTF8.GetBytes(s));
                bytes.WriteByte(0);
            }
            return bytes.ToArray();
        }
    }
}
