namespace GitKsplice.Elf;

/// <summary>One entry of the symbol table.</summary>
public sealed class ElfSymbol
{
    internal ElfSymbol(int index, string name, ulong value, ulong size, byte info, byte other, uint sectionIndex,
        ElfSection? section)
    {
        Index = index;
        Name = name;
        Value = value;
        Size = size;
        Type = (SymbolType)(info & 0xf);
        Binding = (SymbolBinding)(info >> 4);
        Visibility = (byte)(other & 0x3);
        SectionIndex = sectionIndex;
        Section = section;
    }

    public int Index { get; }
    public string Name { get; }
    public ulong Value { get; }
    public ulong Size { get; }
    public SymbolType Type { get; }
    public SymbolBinding Binding { get; }
    /// <summary>STV_DEFAULT (0), STV_INTERNAL, STV_HIDDEN or STV_PROTECTED.</summary>
    public byte Visibility { get; }
    /// <summary>The section index after resolving SHN_XINDEX; may be a special index such as SHN_ABS.</summary>
    public uint SectionIndex { get; }
    /// <summary>The section the symbol is defined in; null for undefined, absolute and common symbols.</summary>
    public ElfSection? Section { get; }

    public bool IsLocal => Binding == SymbolBinding.Local;

    public override string ToString() => Name.Length > 0 ? Name : Section?.Name ?? $"symbol {Index}";
}
