using GitKsplice.Analysis;
using GitKsplice.Elf;
using GitKsplice.Tests.Support;

namespace GitKsplice.Tests.Analysis;

/// <summary>
/// A property over real objects: change one byte the program uses (code, data, a string, a constant, a jump
/// or switch table, bytes of an asm routine no C symbol describes) or one relocation's addend, and the verdict is
/// never "no change".
/// </summary>
public sealed class EveryByteTests : IDisposable
{
    private const int PerSection = 6;
    private readonly CompiledObjects _cc = new();
    public void Dispose() => _cc.Dispose();

    // No __LINE__ and no kernel metadata: every byte of every loaded section is used by the program.
    private const string Source = """
        extern int printf(const char *, ...);
        struct pair { int a, b; };
        struct pair table[3] = { { 1, 2 }, { 3, 4 }, { 5, 6 } };
        static const int weights[5] = { 2, 3, 5, 7, 11 };
        static const char *const names[3] = { "zero", "one", "two" };
        static int counter;
        int zeroed[4];
        static int bump(int x) { static int calls = 3; calls++; return x + ++counter + calls; }
        int api(int x) { printf("api %d of %s\n", x, names[x % 3]); return bump(x) + table[x & 1].b + weights[x % 5]; }
        int other(int x) { switch (x) { case 0: return 4; case 1: return 9; case 2: return 1; case 3: return 7; case 4: return 2; case 5: return 12; default: return x; } }
        int jump(int x) { switch (x) { case 0: return api(x); case 1: return other(x); case 2: return bump(x); case 3: return x * 7; case 4: return printf("four"); case 5: return zeroed[x]; default: return -x; } }
        int (*hook)(int) = api;
        double scale(double d) { return d * 1.25 + 0.5; }
        const char *who(void) { return __func__; }
        __asm__(".section .text.asm_helper,\"ax\",@progbits\n.globl asm_helper\nasm_helper:\n\tmovl $42, %eax\n\tret\n.previous\n");
        """;

    public static TheoryData<string, string> Builds() => new()
    {
        { "gcc", "-O0" }, { "gcc", "-O2" }, { "gcc", "-Os" },
        { "aarch64-linux-gnu-gcc", "-O0" }, { "aarch64-linux-gnu-gcc", "-O2" },
    };

    [RequiresTheory]
    [MemberData(nameof(Builds))]
    public void A_changed_byte_the_program_uses_is_never_no_change(string compiler, string level)
    {
        Assert.True(CompiledObjects.Have(compiler), $"{compiler} is missing: run scripts/install-test-deps.sh");
        var source = compiler == "gcc" ? Source : Source.Replace("movl $42, %eax", "mov w0, #42");
        var path = _cc.Compile(source, $"{level} -fno-pie -fno-common -ffunction-sections -fdata-sections", compiler);
        var bytes = File.ReadAllBytes(path);
        var pristine = new ElfFile(bytes, "pristine.o");
        var analyzer = new ElfObjectAnalyzer();
        Assert.False(analyzer.Compare(pristine, new ElfFile(bytes, "same.o")).HasFunctionalChange);

        var random = new Random(20261126);
        var missed = new List<string>();
        int tried = 0;
        foreach (var section in pristine.Sections)
        {
            if (!section.IsAllocated || section.IsNoBits || section.Contents.Length == 0 || KernelCatalogue.IsIgnored(section)) continue;
            var relocated = RelocatedBytes(pristine, section);
            for (int k = 0; k < PerSection; k++)
            {
                int at = random.Next(section.Contents.Length);
                if (relocated.Contains(at)) continue; // the linker writes these bytes; what counts is the relocation
                // Alignment between two strings of a string section belongs to neither.
                if (section.IsStrings && at > 0 && section.Contents.Span[at] == 0 && section.Contents.Span[at - 1] == 0) continue;
                var copy = (byte[])bytes.Clone();
                copy[(int)section.Offset + at] ^= (byte)(1 << random.Next(8));
                tried++;
                if (Verdict(analyzer, pristine, copy) is { } none) missed.Add($"{section.Name}+0x{at:x}: {none}");
            }
        }
        // A relocation's addend: where code or data points.
        foreach (var section in pristine.Sections.Where(s => s.Type == SectionType.Rela && pristine.Sections[(int)s.Info] is var t && t.IsAllocated && !KernelCatalogue.IsIgnored(t)))
        {
            int entries = section.Contents.Length / 24;
            for (int k = 0; k < Math.Min(PerSection, entries); k++)
            {
                int entry = random.Next(entries);
                var copy = (byte[])bytes.Clone();
                copy[(int)section.Offset + entry * 24 + 16] ^= 0x10;
                tried++;
                if (Verdict(analyzer, pristine, copy) is { } none) missed.Add($"{section.Name} entry {entry} addend: {none}");
            }
        }
        Assert.True(tried > 60, $"only {tried} mutations");
        Assert.True(missed.Count == 0, $"{missed.Count} of {tried} changes were reported as no change:\n{string.Join("\n", missed)}");
    }

    /// <summary>Null when the analysis sees the change; otherwise what it said.</summary>
    private static string? Verdict(ElfObjectAnalyzer analyzer, ElfFile pristine, byte[] mutated)
    {
        var r = analyzer.Compare(pristine, new ElfFile(mutated, "mutated.o"));
        return r.HasFunctionalChange ? null : "no change" + (r.LineOnly.Count > 0 ? $" (line-only: {r.LineOnly[0].Reason})" : "");
    }

    /// <summary>The bytes relocations overwrite (RELA: the linker writes the whole field, or the instruction's immediate bits).</summary>
    private static HashSet<int> RelocatedBytes(ElfFile file, ElfSection section)
    {
        var bytes = new HashSet<int>();
        int width = file.Machine == Machine.AArch64 ? 4 : 8;
        foreach (var r in file.RelocationsFor(section))
        {
            // x86-64 R_X86_64_64 (1) writes 8 bytes, the others 4; an AArch64 relocation rewrites part of one instruction.
            int w = file.Machine == Machine.X86_64 && r.Type != 1 ? 4 : width;
            for (int i = 0; i < w; i++) bytes.Add((int)r.Offset + i);
        }
        return bytes;
    }
}
