using System.Buffers.Binary;
using System.Text;
using GitKsplice.IO;

namespace GitKsplice.Elf;

/// <summary>
/// A read-only view of one ELF file (ELF32 or ELF64, either byte order). The file is read once; sections,
/// symbols and relocations are decoded from slices of that buffer. Headers are validated when the file is
/// opened; relocation sections are decoded on first use, since most (debug info) are never needed.
/// Anything malformed throws <see cref="ElfFormatException"/> naming the file.
/// </summary>
public sealed class ElfFile
{
    private const int IdentSize = 16;
    private readonly ReadOnlyMemory<byte> _bytes;
    private readonly ElfRelocationSection?[] _relocationsFor;
    private readonly ElfRelocation[]?[] _decodedRelocations;
    private readonly ElfSection? _symbolTable;

    public string DisplayName { get; }
    public bool Is64 { get; }
    public bool IsBigEndian { get; }
    public ushort Type { get; }
    public ushort Machine { get; }
    public uint Flags { get; }
    /// <summary>e_shstrndx: the section holding the section names (0 when there is none).</summary>
    public uint SectionNameTableIndex { get; }
    public IReadOnlyList<ElfSection> Sections { get; }
    /// <summary>The entries of .symtab in order (entry 0 is the null symbol); empty when there is no symbol table.</summary>
    public IReadOnlyList<ElfSymbol> Symbols => _symbols;
    private readonly ElfSymbol[] _symbols;
    public IReadOnlyList<ElfGroup> Groups { get; }
    public long Length => _bytes.Length;

    public string MachineName => Elf.Machine.Name(Machine);
    /// <summary>"ELF64 little-endian x86-64" and the like, for messages.</summary>
    public string Description => $"ELF{(Is64 ? 64 : 32)} {(IsBigEndian ? "big" : "little")}-endian {MachineName}";

    /// <summary>The largest object read: a relocatable object of a kernel build is at most tens of megabytes.</summary>
    public const long MaxObjectSize = 1L << 30;

    public static ElfFile Open(string path, string? displayName = null)
    {
        var name = displayName ?? path;
        // By file type before opening: opening a FIFO would wait for a writer, reading a device might never end.
        FileKind kind;
        try { kind = FileKinds.Of(path, followLinks: true); }
        catch (IOException e) { throw new ElfFormatException($"{name}: cannot read: {e.Message}"); }
        switch (kind)
        {
            case FileKind.Missing: throw new ElfFormatException($"{name}: no such file");
            case FileKind.Directory: throw new ElfFormatException($"{name}: is a directory, not an object file");
            case not FileKind.Regular: throw new ElfFormatException($"{name}: not a regular file (a FIFO, socket or device), not an object file");
        }
        long length = FileKinds.Length(path);
        if (length > MaxObjectSize)
            throw new ElfFormatException($"{name}: {length / (1 << 20)} MiB is larger than the {MaxObjectSize >> 30} GiB an object file of one translation unit can be; not compared");
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (FileNotFoundException) { throw new ElfFormatException($"{displayName ?? path}: no such file"); }
        catch (DirectoryNotFoundException) { throw new ElfFormatException($"{displayName ?? path}: no such file"); }
        catch (UnauthorizedAccessException) { throw new ElfFormatException($"{displayName ?? path}: permission denied or is a directory"); }
        catch (IOException e) { throw new ElfFormatException($"{displayName ?? path}: cannot read: {e.Message}"); }
        return new ElfFile(bytes, displayName ?? path);
    }

    public ElfFile(ReadOnlyMemory<byte> bytes, string displayName)
    {
        _bytes = bytes;
        DisplayName = displayName;
        var span = bytes.Span;
        if (span.Length < IdentSize || span[0] != 0x7f || span[1] != (byte)'E' || span[2] != (byte)'L' || span[3] != (byte)'F')
            throw Bad(span.Length == 0 ? "empty file, not an ELF object" : "not an ELF file (bad magic number)");
        Is64 = span[4] switch { 1 => false, 2 => true, _ => throw Bad($"unknown ELF class {span[4]}") };
        IsBigEndian = span[5] switch { 1 => false, 2 => true, _ => throw Bad($"unknown ELF data encoding {span[5]}") };
        int headerSize = Is64 ? 64 : 52;
        if (span.Length < headerSize) throw Bad("truncated ELF header");

        Type = U16(span, 16);
        Machine = U16(span, 18);
        ulong sectionHeaderOffset = Is64 ? U64(span, 40) : U32(span, 32);
        Flags = U32(span, Is64 ? 48 : 36);
        int entrySize = U16(span, Is64 ? 58 : 46);
        ulong sectionCount = U16(span, Is64 ? 60 : 48);
        uint nameTableIndex = U16(span, Is64 ? 62 : 50);

        var sections = new List<ElfSection>(Math.Min((int)Math.Min(sectionCount, int.MaxValue), 1 << 16));
        if (sectionHeaderOffset != 0)
        {
            int minimumEntry = Is64 ? 64 : 40;
            if (entrySize < minimumEntry) throw Bad($"section header entries of {entrySize} bytes are too small");
            var first = HeaderSlice(span, sectionHeaderOffset, 0, entrySize);
            // Extended numbering: more than 0xff00 sections keep their real count and name index in entry 0.
            if (sectionCount == 0) sectionCount = Is64 ? U64(first, 32) : U32(first, 20);
            if (nameTableIndex == SpecialSection.XIndex) nameTableIndex = U32(first, Is64 ? 40 : 24);
            if (sectionCount > (ulong)span.Length / (ulong)entrySize)
                throw Bad($"section header table claims {sectionCount} sections, more than the file can hold (truncated?)");
            if (nameTableIndex >= sectionCount && sectionCount > 0) throw Bad($"section name table index {nameTableIndex} is out of range");

            var raw = new RawSection[(int)sectionCount];
            for (int i = 0; i < raw.Length; i++)
                raw[i] = ReadSectionHeader(HeaderSlice(span, sectionHeaderOffset, (ulong)i, entrySize), i);
            var names = raw.Length > 0 ? raw[nameTableIndex] : default;
            if (nameTableIndex != 0 && (names.Type == SectionType.NoBits || names.Offset > (ulong)span.Length
                    || names.Size > (ulong)span.Length - names.Offset))
                throw Bad("section name table lies outside the file (truncated?)");
            for (int i = 0; i < raw.Length; i++)
            {
                var r = raw[i];
                string name = nameTableIndex == 0 ? "" : ReadString(span, names, r.NameOffset, "name of section", i);
                var contents = ReadOnlyMemory<byte>.Empty;
                if (r.Type != SectionType.NoBits && r.Type != SectionType.Null)
                {
                    if (r.Offset > (ulong)span.Length || r.Size > (ulong)span.Length - r.Offset)
                        throw Bad($"section {Show(i, name)} extends past the end of the file (truncated?)");
                    contents = bytes.Slice((int)r.Offset, (int)r.Size);
                }
                sections.Add(new ElfSection(i, name, r.Type, (SectionFlags)r.Flags, r.Address, r.Offset, r.Size,
                    r.Link, r.Info, r.AddressAlign, r.EntrySize, contents));
            }
        }
        Sections = sections;
        SectionNameTableIndex = nameTableIndex;

        _symbolTable = sections.FirstOrDefault(s => s.Type == SectionType.SymTab);
        _symbols = _symbolTable == null ? [] : ReadSymbols(_symbolTable);

        _relocationsFor = new ElfRelocationSection?[sections.Count];
        _decodedRelocations = new ElfRelocation[]?[sections.Count];
        foreach (var s in sections)
        {
            // sh_info 0: dynamic relocations of a linked image, which apply to no one section.
            if (!s.IsRelocations || s.Info == 0) continue;
            if (s.Info >= sections.Count)
                throw Bad($"relocation section {Show(s)} applies to section {s.Info}, which does not exist");
            var relocated = sections[(int)s.Info];
            // Two relocation sections for one section would be ambiguous; keep the first, as linkers do.
            _relocationsFor[relocated.Index] ??= new ElfRelocationSection(s, relocated);
        }
        Groups = sections.Where(s => s.Type == SectionType.Group).Select(ReadGroup).ToList();
    }

    /// <summary>Symbol <paramref name="index"/> of .symtab (relocations' indices are checked when decoded).</summary>
    public ElfSymbol SymbolAt(uint index) => _symbols[index];

    /// <summary>The relocation section that applies to <paramref name="relocated"/>, or null when it has none.</summary>
    public ElfRelocationSection? RelocationSectionFor(ElfSection relocated) => _relocationsFor[relocated.Index];

    /// <summary>The relocations applied to <paramref name="target"/>, sorted by offset; empty when there are none.</summary>
    public ReadOnlySpan<ElfRelocation> RelocationsFor(ElfSection target)
    {
        var decoded = _decodedRelocations[target.Index];
        if (decoded != null) return decoded;
        var section = _relocationsFor[target.Index];
        decoded = section == null ? [] : ReadRelocations(section);
        _decodedRelocations[target.Index] = decoded;
        return decoded;
    }

    /// <summary>The NUL-terminated string at <paramref name="offset"/> of a string table section.</summary>
    public string StringAt(ElfSection table, uint offset) =>
        ReadString(_bytes.Span, new RawSection { Offset = table.Offset, Size = (ulong)table.Contents.Length, Type = table.Type },
            offset, "string in section", table.Index);

    private ElfSymbol[] ReadSymbols(ElfSection table)
    {
        int size = Is64 ? 24 : 16;
        if (table.EntrySize != 0 && table.EntrySize < (ulong)size) throw Bad($"symbol table entries of {table.EntrySize} bytes are too small");
        int stride = table.EntrySize == 0 ? size : (int)Math.Min(table.EntrySize, int.MaxValue);
        if (table.Link >= Sections.Count) throw Bad($"symbol table names string table {table.Link}, which does not exist");
        var strings = Sections[(int)table.Link];
        var stringsRaw = new RawSection { Offset = strings.Offset, Size = (ulong)strings.Contents.Length, Type = strings.Type };
        var extended = Sections.FirstOrDefault(s => s.Type == SectionType.SymTabShndx && s.Link == table.Index);
        var data = table.Contents.Span;
        var span = _bytes.Span;
        int count = data.Length / stride;
        var symbols = new ElfSymbol[count];
        var names = new Dictionary<uint, string>(count);
        for (int i = 0; i < count; i++)
        {
            var e = data.Slice(i * stride, size);
            uint nameOffset = U32(e, 0);
            ulong value, symbolSize;
            byte info, other;
            uint shndx;
            if (Is64) { info = e[4]; other = e[5]; shndx = U16(e, 6); value = U64(e, 8); symbolSize = U64(e, 16); }
            else { value = U32(e, 4); symbolSize = U32(e, 8); info = e[12]; other = e[13]; shndx = U16(e, 14); }
            bool inRealSection = shndx != SpecialSection.Undefined && shndx < SpecialSection.LoReserve;
            if (shndx == SpecialSection.XIndex)
            {
                if (extended == null || (ulong)(i + 1) * 4 > (ulong)extended.Contents.Length)
                    throw Bad($"symbol {i} uses an extended section index but there is no SHT_SYMTAB_SHNDX entry for it");
                shndx = U32(extended.Contents.Span, i * 4);
                inRealSection = true;
            }
            ElfSection? section = null;
            if (inRealSection)
            {
                if (shndx >= Sections.Count) throw Bad($"symbol {i} is defined in section {shndx}, which does not exist");
                section = Sections[(int)shndx];
            }
            if (!names.TryGetValue(nameOffset, out var name))
                names[nameOffset] = name = ReadString(span, stringsRaw, nameOffset, "name of symbol", i);
            symbols[i] = new ElfSymbol(i, name, value, symbolSize, info, other, shndx, section);
        }
        return symbols;
    }

    private ElfRelocation[] ReadRelocations(ElfRelocationSection rs)
    {
        var s = rs.Section;
        bool rela = s.Type == SectionType.Rela;
        int size = (Is64 ? 8 : 4) * (rela ? 3 : 2);
        if (s.EntrySize != 0 && s.EntrySize < (ulong)size) throw Bad($"relocation section {Show(s)} has entries of {s.EntrySize} bytes, too small");
        int stride = s.EntrySize == 0 ? size : (int)Math.Min(s.EntrySize, int.MaxValue);
        if (s.Link != (_symbolTable?.Index ?? -1))
            throw Bad($"relocation section {Show(s)} does not use the symbol table");
        var data = s.Contents.Span;
        var target = rs.RelocatedSection.Contents.Span;
        int count = data.Length / stride;
        var result = new ElfRelocation[count];
        bool mips64 = Is64 && Machine == Elf.Machine.Mips;
        bool sorted = true;
        for (int i = 0; i < count; i++)
        {
            var e = data.Slice(i * stride, size);
            ulong offset;
            uint type, symbol;
            long addend = 0;
            if (Is64)
            {
                offset = U64(e, 0);
                if (mips64)
                {
                    // MIPS64 splits r_info into a 32-bit symbol and up to three 8-bit types, not a 64-bit word.
                    symbol = U32(e, 8);
                    type = (uint)(e[15] | e[14] << 8 | e[13] << 16);
                }
                else
                {
                    ulong info = U64(e, 8);
                    symbol = (uint)(info >> 32);
                    type = (uint)info;
                }
                if (rela) addend = (long)U64(e, 16);
            }
            else
            {
                offset = U32(e, 0);
                uint info = U32(e, 4);
                symbol = info >> 8;
                type = info & 0xff;
                if (rela) addend = (int)U32(e, 8);
            }
            if (symbol >= _symbols.Length && !(symbol == 0 && _symbols.Length == 0))
                throw Bad($"relocation {i} in {Show(s)} refers to symbol {symbol}, which does not exist");
            byte width = 0;
            if (!rela)
            {
                int w = RelocationTypes.ImplicitAddendWidth(Machine, type);
                if (w > 0 && offset <= (ulong)target.Length && (ulong)w <= (ulong)target.Length - offset)
                {
                    width = (byte)w;
                    addend = w == 8 ? (long)U64(target, (int)offset) : (int)U32(target, (int)offset);
                    if (Machine == Elf.Machine.Arm && type == RelocationTypes.ArmPrel31) addend = (addend << 33) >> 33; // a 31-bit field
                }
            }
            result[i] = new ElfRelocation(offset, type, symbol, addend, width);
            if (i > 0 && result[i - 1].Offset > offset) sorted = false;
        }
        if (!sorted) Array.Sort(result, (a, b) => a.Offset.CompareTo(b.Offset));
        return result;
    }

    private ElfGroup ReadGroup(ElfSection s)
    {
        var data = s.Contents.Span;
        if (data.Length < 4 || data.Length % 4 != 0) throw Bad($"group section {Show(s)} has a size of {data.Length} bytes, not a whole number of words");
        uint flags = U32(data, 0);
        var members = new List<ElfSection>(data.Length / 4 - 1);
        for (int o = 4; o < data.Length; o += 4)
        {
            uint index = U32(data, o);
            if (index == 0 || index >= Sections.Count) throw Bad($"group section {Show(s)} names section {index}, which does not exist");
            members.Add(Sections[(int)index]);
        }
        return new ElfGroup(s, flags, members);
    }

    private struct RawSection
    {
        public uint NameOffset, Type, Link, Info;
        public ulong Flags, Address, Offset, Size, AddressAlign, EntrySize;
    }

    private RawSection ReadSectionHeader(ReadOnlySpan<byte> h, int index) => Is64
        ? new RawSection
        {
            NameOffset = U32(h, 0), Type = U32(h, 4), Flags = U64(h, 8), Address = U64(h, 16), Offset = U64(h, 24),
            Size = U64(h, 32), Link = U32(h, 40), Info = U32(h, 44), AddressAlign = U64(h, 48), EntrySize = U64(h, 56),
        }
        : new RawSection
        {
            NameOffset = U32(h, 0), Type = U32(h, 4), Flags = U32(h, 8), Address = U32(h, 12), Offset = U32(h, 16),
            Size = U32(h, 20), Link = U32(h, 24), Info = U32(h, 28), AddressAlign = U32(h, 32), EntrySize = U32(h, 36),
        };

    private ReadOnlySpan<byte> HeaderSlice(ReadOnlySpan<byte> span, ulong tableOffset, ulong index, int entrySize)
    {
        ulong start = tableOffset + index * (ulong)entrySize;
        if (tableOffset > (ulong)span.Length || start < tableOffset || start > (ulong)span.Length - (ulong)entrySize || span.Length < entrySize)
            throw Bad($"section header {index} lies past the end of the file (truncated?)");
        return span.Slice((int)start, entrySize);
    }

    /// <summary>A NUL-terminated string; <paramref name="what"/> and <paramref name="index"/> name it in errors only.</summary>
    private string ReadString(ReadOnlySpan<byte> span, RawSection table, uint offset, string what, int index)
    {
        if (table.Type == SectionType.NoBits || offset >= table.Size)
            throw Bad($"{what} {index} points outside its string table");
        var rest = span.Slice((int)(table.Offset + offset), (int)(table.Size - offset));
        int end = rest.IndexOf((byte)0);
        if (end < 0) throw Bad($"{what} {index} is not terminated within its string table");
        return end == 0 ? "" : Encoding.UTF8.GetString(rest[..end]);
    }

    private static string Show(ElfSection s) => Show(s.Index, s.Name);
    private static string Show(int index, string name) => name.Length > 0 ? $"{index} ({name})" : index.ToString();

    private ElfFormatException Bad(string problem) => new($"{DisplayName}: {problem}");

    internal ushort U16(ReadOnlySpan<byte> s, int o) =>
        IsBigEndian ? BinaryPrimitives.ReadUInt16BigEndian(s[o..]) : BinaryPrimitives.ReadUInt16LittleEndian(s[o..]);
    internal uint U32(ReadOnlySpan<byte> s, int o) =>
        IsBigEndian ? BinaryPrimitives.ReadUInt32BigEndian(s[o..]) : BinaryPrimitives.ReadUInt32LittleEndian(s[o..]);
    internal ulong U64(ReadOnlySpan<byte> s, int o) =>
        IsBigEndian ? BinaryPrimitives.ReadUInt64BigEndian(s[o..]) : BinaryPrimitives.ReadUInt64LittleEndian(s[o..]);
}
