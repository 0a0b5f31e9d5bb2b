namespace GitKsplice.Elf;

/// <summary>One section header, with its contents as a slice of the file (never a copy).</summary>
public sealed class ElfSection
{
    internal ElfSection(int index, string name, uint type, SectionFlags flags, ulong address, ulong offset,
        ulong size, uint link, uint info, ulong addressAlign, ulong entrySize, ReadOnlyMemory<byte> contents)
    {
        Index = index;
        Name = name;
        Type = type;
        Flags = flags;
        Address = address;
        Offset = offset;
        Size = size;
        Link = link;
        Info = info;
        AddressAlign = addressAlign;
        EntrySize = entrySize;
        Contents = contents;
    }

    public int Index { get; }
    public string Name { get; }
    public uint Type { get; }
    public SectionFlags Flags { get; }
    public ulong Address { get; }
    public ulong Offset { get; }
    /// <summary>The size in memory; for SHT_NOBITS this is larger than <see cref="Contents"/> (which is empty).</summary>
    public ulong Size { get; }
    public uint Link { get; }
    public uint Info { get; }
    public ulong AddressAlign { get; }
    public ulong EntrySize { get; }
    /// <summary>The bytes in the file: empty for SHT_NOBITS and SHT_NULL.</summary>
    public ReadOnlyMemory<byte> Contents { get; }

    public bool IsExecutable => (Flags & SectionFlags.ExecInstr) != 0;
    public bool IsAllocated => (Flags & SectionFlags.Alloc) != 0;
    public bool IsWritable => (Flags & SectionFlags.Write) != 0;
    public bool IsStrings => (Flags & SectionFlags.Strings) != 0;
    public bool IsMerge => (Flags & SectionFlags.Merge) != 0;
    public bool IsNoBits => Type == SectionType.NoBits;
    public bool IsRelocations => Type is SectionType.Rela or SectionType.Rel;

    public override string ToString() => $"[{Index}] {Name}";
}
