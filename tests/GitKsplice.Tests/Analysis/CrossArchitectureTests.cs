using GitKsplice.Analysis;
using GitKsplice.Tests.Support;

namespace GitKsplice.Tests.Analysis;

/// <summary>The analysis on AArch64 (ELF64 RELA) and big-endian MIPS (ELF32 REL) objects from Debian's cross compilers.</summary>
public sealed class CrossArchitectureTests : IDisposable
{
    private const string AArch64 = "aarch64-linux-gnu-gcc";
    private const string Mips = "mips-linux-gnu-gcc";
    private const string MipsFlags = "-O2 -fno-common -ffunction-sections -fdata-sections -fno-pic -mno-abicalls -G0";
    private readonly CompiledObjects _cc = new();
    private readonly ElfObjectAnalyzer _analyzer = new();

    public void Dispose() => _cc.Dispose();

    private const string Source = """
        extern void __might_sleep(const char *file, int line);
        extern int puts(const char *);
        int limit = 4;
        /*MARK*/
        int sleeper(int x) { __might_sleep(__FILE__, __LINE__); return x + limit; }
        int speaker(int x) { puts("speaking"); return x * 2; }
        int quiet(int x) { return x - limit; }
        """;

    private ObjectComparison Compare(string compiler, string flags, string original, string patched)
    {
        Assert.True(CompiledObjects.Have(compiler), $"{compiler} is missing: run scripts/install-test-deps.sh");
        return _analyzer.Compare(_cc.Compile(original, flags, compiler, "a/unit"), _cc.Compile(patched, flags, compiler, "b/unit"));
    }

    [RequiresFact(Tool.Gcc, Tool.Aarch64Gcc)]
    public void AArch64_body_change_new_function_and_moved_strings()
    {
        var patched = Source.Replace("/*MARK*/", "int added(void) { puts(\"a new string ahead of the others\"); return 1; }")
            .Replace("x - limit", "x - limit - 1");
        var r = Compare(AArch64, CompiledObjects.KernelLikeFlags, Source, patched);
        Assert.Equal(["quiet"], r.Changed);
        Assert.Equal(["added"], r.New);
        Assert.Empty(r.Unsafe);
    }

    [RequiresFact(Tool.Gcc, Tool.Aarch64Gcc)]
    public void AArch64_line_number_only_change()
    {
        var r = Compare(AArch64, CompiledObjects.KernelLikeFlags, Source, Source.Replace("/*MARK*/", "\n"));
        Assert.False(r.HasFunctionalChange);
        var line = Assert.Single(r.LineOnly);
        Assert.Equal("sleeper", line.Symbol);
        Assert.Contains("__might_sleep", line.Reason);
    }

    [RequiresFact(Tool.Gcc, Tool.Aarch64Gcc)]
    public void AArch64_data_change_is_unsafe()
    {
        var r = Compare(AArch64, CompiledObjects.KernelLikeFlags, Source, Source.Replace("limit = 4", "limit = 5"));
        Assert.Equal("limit", Assert.Single(r.Unsafe).Symbol);
    }

    [RequiresFact(Tool.MipsGcc)]
    public void Big_endian_elf32_with_rel_relocations()
    {
        var patched = Source.Replace("/*MARK*/", "int added(int y) { return y ^ 3; }").Replace("x * 2", "x * 3");
        var r = Compare(Mips, MipsFlags, Source, patched);
        Assert.Equal(["speaker"], r.Changed);
        Assert.Equal(["added"], r.New);
        var same = Compare(Mips, MipsFlags, Source, Source);
        Assert.False(same.HasFunctionalChange);
        Assert.Empty(same.Details);
    }

    [RequiresFact(Tool.Gcc, Tool.Aarch64Gcc)]
    public void Objects_of_different_machines_are_refused()
    {
        Assert.True(CompiledObjects.Have(AArch64));
        var x86 = _cc.Compile(Source, name: "x86/unit");
        var arm = _cc.Compile(Source, CompiledObjects.KernelLikeFlags, AArch64, "arm/unit");
        var e = Assert.Throws<ObjectFormatException>(() => _analyzer.Compare(x86, arm));
        Assert.Contains("x86/unit.o is ELF64 little-endian x86-64 but", e.Message);
        Assert.Contains("AArch64", e.Message);
    }
}
