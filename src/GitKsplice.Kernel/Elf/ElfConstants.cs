namespace GitKsplice.Elf;

/// <summary>Section header types (sh_type) this reader understands.</summary>
public static class SectionType
{
    public const uint Null = 0, ProgBits = 1, SymTab = 2, StrTab = 3, Rela = 4, Hash = 5, Dynamic = 6, Note = 7,
        NoBits = 8, Rel = 9, DynSym = 11, InitArray = 14, FiniArray = 15, PreinitArray = 16, Group = 17,
        SymTabShndx = 18;
}

/// <summary>Section header flags (sh_flags).</summary>
[Flags]
public enum SectionFlags : ulong
{
    None = 0,
    Write = 0x1,
    Alloc = 0x2,
    ExecInstr = 0x4,
    Merge = 0x10,
    Strings = 0x20,
    InfoLink = 0x40,
    LinkOrder = 0x80,
    Group = 0x200,
    Tls = 0x400,
}

/// <summary>Symbol types (low nibble of st_info).</summary>
public enum SymbolType : byte
{
    NoType = 0, Object = 1, Func = 2, Section = 3, File = 4, Common = 5, Tls = 6, GnuIFunc = 10,
}

/// <summary>Symbol bindings (high nibble of st_info).</summary>
public enum SymbolBinding : byte
{
    Local = 0, Global = 1, Weak = 2, GnuUnique = 10,
}

/// <summary>Special section indices a symbol may carry instead of a real section.</summary>
public static class SpecialSection
{
    public const uint Undefined = 0, LoReserve = 0xff00, Abs = 0xfff1, Common = 0xfff2, XIndex = 0xffff;
}

/// <summary>e_machine values of the architectures we name; any other value is still read.</summary>
public static class Machine
{
    public const ushort I386 = 3, Mips = 8, PowerPC = 20, PowerPC64 = 21, S390 = 22, Arm = 40, X86_64 = 62,
        AArch64 = 183, RiscV = 243, LoongArch = 258;

    public static string Name(ushort machine) => machine switch
    {
        I386 => "i386",
        Mips => "MIPS",
        PowerPC => "PowerPC",
        PowerPC64 => "PowerPC64",
        S390 => "s390",
        Arm => "ARM",
        X86_64 => "x86-64",
        AArch64 => "AArch64",
        RiscV => "RISC-V",
        LoongArch => "LoongArch",
        _ => $"machine {machine}",
    };
}

/// <summary>e_type values.</summary>
public static class ObjectType
{
    public const ushort None = 0, Relocatable = 1, Executable = 2, Shared = 3, Core = 4;

    public static string Name(ushort type) => type switch
    {
        None => "ET_NONE",
        Relocatable => "ET_REL",
        Executable => "ET_EXEC",
        Shared => "ET_DYN",
        Core => "ET_CORE",
        _ => $"type {type}",
    };
}
