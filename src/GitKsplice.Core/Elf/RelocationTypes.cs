namespace GitKsplice.Elf;

/// <summary>What the comparison needs to know about each machine's relocation types; unknown types stay conservative.</summary>
public static class RelocationTypes
{
    /// <summary>
    /// How far past the addend a PC-relative relocation's real target lies: x86 encodes "target - 4" because the
    /// displacement is counted from the end of its 4-byte field. Used to find which symbol a section-relative
    /// relocation points at.
    /// </summary>
    public static int TargetBias(ushort machine, uint type) => machine switch
    {
        Machine.X86_64 when type is 2 or 4 or 9 or 41 or 42 => 4, // PC32, PLT32, GOTPCREL, GOTPCRELX, REX_GOTPCRELX
        Machine.I386 when type is 2 or 4 => 4,                      // PC32, PLT32
        _ => 0,
    };

    /// <summary>
    /// For SHT_REL: the width of the in-place addend when the relocated field is a whole data word; 0 when the
    /// addend is packed into an instruction we do not decode (those bytes are then compared as they are).
    /// </summary>
    public static int ImplicitAddendWidth(ushort machine, uint type) => machine switch
    {
        Machine.I386 when type is 1 or 2 or 3 or 4 or 9 or 10 or 43 => 4,
        Machine.Arm when type is 2 or 3 or 38 or 41 or 42 or 55 => 4,
        Machine.Mips when type is 2 or 3 => 4,
        Machine.Mips when type is 18 => 8,
        Machine.PowerPC when type is 1 or 26 => 4,
        _ => 0,
    };
}
