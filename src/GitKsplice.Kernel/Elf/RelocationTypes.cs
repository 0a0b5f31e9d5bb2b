namespace GitKsplice.Elf;

/// <summary>What the comparison needs to know about each machine's relocation types; unknown types stay conservative.</summary>
public static class RelocationTypes
{
    /// <summary>R_ARM_PREL31: a 31-bit place-relative offset (exception tables), sign-extended from bit 30.</summary>
    public const uint ArmPrel31 = 42;

    /// <summary>
    /// How far past the addend a PC-relative relocation's real referent lies. x86 encodes "target - (end of
    /// instruction - field)": 4 for the displacement itself plus any immediate that follows it in the instruction
    /// (cmpb $0, x(%rip) stores x - 5). <paramref name="code"/> is the relocated section's bytes, used to find that
    /// immediate. Used to find which symbol a section-relative relocation points at.
    /// </summary>
    public static int ReferentBias(ushort machine, uint type, ReadOnlySpan<byte> code, ulong offset) => machine switch
    {
        // PC32, PLT32, GOTPCREL, GOTPCRELX, REX_GOTPCRELX
        Machine.X86_64 when type is 2 or 4 or 9 or 41 or 42 => 4 + X86ImmediateAfterDisplacement(code, offset),
        Machine.I386 when type is 2 or 4 => 4,
        _ => 0,
    };

    /// <summary>
    /// The size of the immediate operand following a RIP-relative displacement at <paramref name="offset"/>, from
    /// the ModRM and opcode bytes before it; 0 when there is none or the instruction is not one we recognise.
    /// </summary>
    private static int X86ImmediateAfterDisplacement(ReadOnlySpan<byte> code, ulong offset)
    {
        if (offset < 2 || offset > (ulong)code.Length) return 0;
        int at = (int)offset;
        byte modrm = code[at - 1];
        if ((modrm & 0xC7) != 0x05) return 0; // not [rip + disp32]: a call, a jump or an absolute address
        int reg = (modrm >> 3) & 7;
        byte opcode = code[at - 2];
        bool escaped = at >= 3 && code[at - 3] == 0x0F;
        if (at >= 4 && code[at - 4] == 0x0F && code[at - 3] == 0x3A) return 1; // 0F 3A xx: SSE ops with imm8
        bool operand16 = at >= 3 && code[at - 3] == 0x66 || at >= 4 && code[at - 3] is >= 0x40 and <= 0x4F && code[at - 4] == 0x66;
        if (escaped)
        {
            if (opcode is 0x70 or 0x71 or 0x72 or 0x73 or 0xA4 or 0xAC or 0xBA or 0xC2 or 0xC4 or 0xC5 or 0xC6) return 1;
            if (opcode is 0xC0 or 0xC1 or 0x69 or 0x6B) return 0; // xadd, punpck: no immediate
        }
        return opcode switch
        {
            0x80 or 0x83 or 0xC6 or 0x6B or 0xC0 or 0xC1 => 1,
            0x81 or 0xC7 or 0x69 => operand16 ? 2 : 4,
            0xF6 when reg <= 1 => 1,
            0xF7 when reg <= 1 => operand16 ? 2 : 4,
            _ => 0,
        };
    }

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
