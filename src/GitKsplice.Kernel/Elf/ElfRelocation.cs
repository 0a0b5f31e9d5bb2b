namespace GitKsplice.Elf;

/// <summary>
/// One relocation. For SHT_REL the addend lives in the section's bytes: when the machine's relocation type is a
/// plain data word we know, the reader extracts it and sets <see cref="ImplicitAddendWidth"/> to the bytes it
/// occupies, so comparisons can treat those bytes as part of the relocation rather than as code.
/// </summary>
public readonly record struct ElfRelocation(ulong Offset, uint Type, uint SymbolIndex, long Addend,
    byte ImplicitAddendWidth);

/// <summary>A SHT_RELA or SHT_REL section together with the section it applies to.</summary>
public sealed class ElfRelocationSection(ElfSection section, ElfSection relocated)
{
    public ElfSection Section { get; } = section;
    public ElfSection RelocatedSection { get; } = relocated;
}

/// <summary>A SHT_GROUP section: its flags word (GRP_COMDAT = 1) and member sections.</summary>
public sealed record ElfGroup(ElfSection Section, uint Flags, IReadOnlyList<ElfSection> Members)
{
    public bool IsComdat => (Flags & 1) != 0;
}
