using System.Globalization;
using System.Text.RegularExpressions;
using GitKsplice.Elf;
using GitKsplice.Tests.Analysis;
using GitKsplice.Tests.Support;

namespace GitKsplice.Tests.Elf;

/// <summary>
/// The ELF reader against binutils' readelf, on objects gcc and the cross compilers build: every section,
/// symbol and relocation must agree, for ELF64/ELF32 and both byte orders.
/// </summary>
public sealed partial class ElfReaderTests : IDisposable
{
    private readonly CompiledObjects _cc = new();
    public void Dispose() => _cc.Dispose();

    private const string Source = """
        extern int printf(const char *, ...);
        struct pair { int a, b; };
        struct pair table[3] = { { 1, 2 }, { 3, 4 }, { 5, 6 } };
        static int counter;
        static int bump(int x) { static int calls; calls++; return x + ++counter + calls; }
        int api(int x) { printf("api %d\n", x); return bump(x) + table[x & 1].b; }
        int (*hook)(int) = api;
        __attribute__((weak)) int maybe(void) { return 42; }
        """;

    public static TheoryData<string, string, bool, bool> Targets => new()
    {
        { "gcc", CompiledObjects.KernelLikeFlags + " -g", true, false },
        { "aarch64-linux-gnu-gcc", CompiledObjects.KernelLikeFlags, true, false },
        { "mips-linux-gnu-gcc", "-O2 -ffunction-sections -fdata-sections -fno-pic -mno-abicalls -G0", false, true },
        { "mips-linux-gnu-gcc", "-O2 -EL -ffunction-sections -fdata-sections -fno-pic -mno-abicalls -G0", false, false },
        { "mips-linux-gnu-gcc", "-O2 -mabi=64 -march=mips64r2 -ffunction-sections -fdata-sections", true, true },
    };

    [RequiresTheory]
    [MemberData(nameof(Targets))]
    public void Sections_symbols_and_relocations_agree_with_readelf(string compiler, string flags, bool is64, bool bigEndian)
    {
        Assert.True(CompiledObjects.Have(compiler), $"{compiler} is missing: run scripts/install-test-deps.sh");
        var path = _cc.Compile(Source, flags, compiler);
        var elf = ElfFile.Open(path);
        Assert.Equal(is64, elf.Is64);
        Assert.Equal(bigEndian, elf.IsBigEndian);
        Assert.Equal(ObjectType.Relocatable, elf.Type);

        var sections = ReadElf(path, "-SW").Split('\n').Select(l => SectionLine().Match(l)).Where(m => m.Success)
            .Select(m => (Index: int.Parse(m.Groups[1].Value), Name: m.Groups[2].Value, Size: Convert.ToUInt64(m.Groups[3].Value, 16)))
            .Where(s => s.Index > 0).ToList();
        Assert.Equal(sections.Count + 1, elf.Sections.Count);
        foreach (var s in sections)
        {
            Assert.Equal(s.Name, elf.Sections[s.Index].Name);
            Assert.Equal(s.Size, elf.Sections[s.Index].Size);
        }

        var symbols = ReadElf(path, "-sW").Split('\n').Select(l => SymbolLine().Match(l)).Where(m => m.Success).ToList();
        Assert.Equal(symbols.Count, elf.Symbols.Count);
        foreach (var m in symbols)
        {
            var sym = elf.Symbols[int.Parse(m.Groups[1].Value)];
            Assert.Equal(Convert.ToUInt64(m.Groups[2].Value, 16), sym.Value);
            Assert.Equal(ulong.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture), sym.Size);
            Assert.Equal(m.Groups[4].Value, sym.Type switch
            {
                SymbolType.NoType => "NOTYPE",
                SymbolType.Object => "OBJECT",
                SymbolType.Func => "FUNC",
                SymbolType.Section => "SECTION",
                SymbolType.File => "FILE",
                _ => sym.Type.ToString(),
            });
            Assert.Equal(m.Groups[5].Value, sym.Binding.ToString().ToUpperInvariant());
            if (sym.Type != SymbolType.Section) Assert.Equal(m.Groups[6].Value.Trim(), sym.Name);
        }
        Assert.Contains(elf.Symbols, s => s is { Name: "api", Type: SymbolType.Func, Binding: SymbolBinding.Global } && s.Section!.Name == ".text.api");
        Assert.Contains(elf.Symbols, s => s is { Name: "maybe", Binding: SymbolBinding.Weak });
        Assert.Contains(elf.Symbols, s => s.Name.StartsWith("calls.") && s.Type == SymbolType.Object && s.IsLocal);

        // Relocations: per section, the same offsets, targets and (for RELA) addends, in offset order.
        var expected = ParseRelocations(ReadElf(path, "-rW"));
        Assert.NotEmpty(expected);
        foreach (var (name, entries) in expected)
        {
            var section = elf.Sections.Single(s => s.Name == name);
            var target = elf.Sections[(int)section.Info];
            var actual = elf.RelocationsFor(target).ToArray();
            Assert.Equal(entries.Count, actual.Length);
            var sorted = entries.OrderBy(e => e.Offset).ToList();
            for (int i = 0; i < actual.Length; i++)
            {
                Assert.Equal(sorted[i].Offset, actual[i].Offset);
                var symbol = elf.Symbols[(int)actual[i].SymbolIndex];
                Assert.Equal(sorted[i].Symbol, symbol.Type == SymbolType.Section ? symbol.Section!.Name : symbol.Name);
                if (sorted[i].Addend is { } addend) Assert.Equal(addend, actual[i].Addend);
            }
        }
    }

    [RequiresFact(Tool.Gcc)]
    public void Comdat_groups_are_read_with_their_members()
    {
        const string source = """
            asm(".section .text.shared_thunk,\"axG\",@progbits,shared_thunk,comdat\n"
                ".globl shared_thunk\n.type shared_thunk,@function\nshared_thunk: ret\n.size shared_thunk, .-shared_thunk\n.previous");
            int user(void) { return 1; }
            """;
        var elf = ElfFile.Open(_cc.Compile(source));
        var group = Assert.Single(elf.Groups);
        Assert.True(group.IsComdat);
        Assert.Equal(".text.shared_thunk", Assert.Single(group.Members).Name);
    }

    [RequiresFact(Tool.Gcc)]
    public void Section_contents_are_slices_of_the_file()
    {
        var path = _cc.Compile("int data_word = 0x11223344;\nint f(void) { return data_word; }\n");
        var elf = ElfFile.Open(path);
        var data = elf.Sections.Single(s => s.Name == ".data.data_word");
        Assert.Equal(new byte[] { 0x44, 0x33, 0x22, 0x11 }, data.Contents.ToArray());
        Assert.True(System.Runtime.InteropServices.MemoryMarshal.TryGetArray(data.Contents, out var segment));
        Assert.Equal((int)data.Offset, segment.Offset); // a view into the one buffer, not a copy
    }

    [Fact]
    public void A_missing_file_is_a_clean_error()
    {
        var e = Assert.Throws<ElfFormatException>(() => ElfFile.Open("/nonexistent/x.o"));
        Assert.Equal("/nonexistent/x.o: no such file", e.Message);
    }

    [Theory]
    [InlineData(new byte[0], "empty file")]
    [InlineData(new byte[] { (byte)'#', (byte)'!', (byte)'/', (byte)'b', (byte)'i', (byte)'n' }, "not an ELF file")]
    [InlineData(new byte[] { 0x7f, (byte)'E', (byte)'L', (byte)'F', 3, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, "unknown ELF class 3")]
    [InlineData(new byte[] { 0x7f, (byte)'E', (byte)'L', (byte)'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0 }, "truncated ELF header")]
    public void Bad_headers_are_clean_errors(byte[] bytes, string problem)
    {
        var e = Assert.Throws<ElfFormatException>(() => new ElfFile(bytes, "bad.o"));
        Assert.StartsWith("bad.o: ", e.Message);
        Assert.Contains(problem, e.Message);
    }

    [RequiresFact(Tool.Gcc)]
    public void A_truncated_object_names_what_is_missing()
    {
        var bytes = File.ReadAllBytes(_cc.Compile("int f(int x) { return x + 1; }\n"));
        var e = Assert.Throws<ElfFormatException>(() => new ElfFile(bytes.AsMemory(0, bytes.Length / 2), "half.o"));
        Assert.StartsWith("half.o: ", e.Message);
        Assert.Contains("truncated", e.Message);
    }

    private static string ReadElf(string path, string option)
    {
        var r = ProcessRunner.Run(Path.GetDirectoryName(path)!, "readelf", [option, path]);
        Assert.Equal(0, r.ExitCode);
        return r.StdOut;
    }

    private static List<(string Section, List<(ulong Offset, string Symbol, long? Addend)> Entries)> ParseRelocations(string text)
    {
        var result = new List<(string, List<(ulong, string, long?)>)>();
        List<(ulong, string, long?)>? current = null;
        foreach (var line in text.Split('\n'))
        {
            var header = RelocationHeader().Match(line);
            if (header.Success) { current = []; result.Add((header.Groups[1].Value, current)); continue; }
            var m = RelocationLine().Match(line);
            if (!m.Success || current == null) continue;
            long? addend = m.Groups[4].Success
                ? (m.Groups[4].Value == "-" ? -1 : 1) * Convert.ToInt64(m.Groups[5].Value, 16)
                : null;
            current.Add((Convert.ToUInt64(m.Groups[1].Value, 16), m.Groups[3].Value, addend));
        }
        return result;
    }

    [GeneratedRegex(@"^\s*\[\s*(\d+)\]\s+(\S+)\s+\S+\s+[0-9a-f]+\s+[0-9a-f]+\s+([0-9a-f]+)\s")]
    private static partial Regex SectionLine();

    [GeneratedRegex(@"^\s*(\d+):\s+([0-9a-f]+)\s+(\d+)\s+(\S+)\s+(\S+)\s+\S+\s+\S+\s?(.*)$")]
    private static partial Regex SymbolLine();

    [GeneratedRegex(@"^Relocation section '([^']+)'")]
    private static partial Regex RelocationHeader();

    [GeneratedRegex(@"^([0-9a-f]{8,16})\s+[0-9a-f]+\s+(\S+)\s+[0-9a-f]+\s+(\S+)(?:\s+([+-])\s+([0-9a-f]+))?\s*$")]
    private static partial Regex RelocationLine();
}
