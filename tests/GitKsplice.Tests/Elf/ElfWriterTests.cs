using System.Text.RegularExpressions;
using GitKsplice.Elf;
using GitKsplice.Tests.Analysis;
using GitKsplice.Tests.Support;

namespace GitKsplice.Tests.Elf;

/// <summary>
/// The ELF writer: objects it writes from scratch link and run; objects gcc built, read in and written out
/// again, agree with the original in readelf, and binutils' ld accepts them.
/// </summary>
public sealed partial class ElfWriterTests : IDisposable
{
    private readonly CompiledObjects _cc = new();
    public void Dispose() => _cc.Dispose();
    private string Dir => _cc.Directory;

    private const string Source = """
        extern int printf(const char *, ...);
        struct pair { int a, b; };
        struct pair table[3] = { { 1, 2 }, { 3, 4 }, { 5, 6 } };
        static int counter;
        static const char *const names[] = { "zero", "one", "two" };
        static __attribute__((noinline)) int bump(int x) { static int calls; calls++; return x + ++counter + calls; }
        int api(int x) { printf("api %d %s\n", x, names[x % 3]); return bump(x) + table[x & 1].b; }
        int (*hook)(int) = api;
        __attribute__((weak)) int maybe(void) { return 42; }
        int main(void) { printf("%d\n", hook(2) + maybe()); return 0; }
        """;

    [RequiresFact(Tool.Gcc, Tool.Ld)]
    public void An_object_written_from_scratch_links_and_runs()
    {
        var w = new ElfWriter(Machine.X86_64);
        // int answer(void) { return 42; }
        var answerText = w.AddSection(".text.answer", SectionType.ProgBits, SectionFlags.Alloc | SectionFlags.ExecInstr,
            [0xb8, 0x2a, 0, 0, 0, 0xc3], align: 16);
        w.AddSymbol("answer", SymbolType.Func, SymbolBinding.Global, answerText, 0, 6);
        // const char *message(void) { return "written by ElfWriter"; } — lea 0(%rip),%rax; ret, relocated to a string section
        var strings = w.AddSection(".rodata.str1.1", SectionType.ProgBits, SectionFlags.Alloc | SectionFlags.Merge | SectionFlags.Strings,
            "\0written by ElfWriter\0"u8.ToArray(), entrySize: 1);
        // As gas does, a reference into a mergeable string section uses a symbol at the string, not the
        // section symbol plus an offset: ld finds the string by symbol + addend, and the addend holds the -4.
        var stringSymbol = w.AddSymbol(".LC0", SymbolType.NoType, SymbolBinding.Local, strings, 1);
        var messageText = w.AddSection(".text.message", SectionType.ProgBits, SectionFlags.Alloc | SectionFlags.ExecInstr,
            [0x48, 0x8d, 0x05, 0, 0, 0, 0, 0xc3], align: 16);
        w.AddSymbol("message", SymbolType.Func, SymbolBinding.Global, messageText, 0, 8);
        w.RelocationsOf(messageText).Relocations.Add(new ElfWriter.Relocation(3, 2 /* R_X86_64_PC32 */, stringSymbol, -4));
        // int twice(void) { return answer() * 2; } — a call to a global through R_X86_64_PLT32
        var twiceText = w.AddSection(".text.twice", SectionType.ProgBits, SectionFlags.Alloc | SectionFlags.ExecInstr,
            [0x48, 0x83, 0xec, 0x08, 0xe8, 0, 0, 0, 0, 0x01, 0xc0, 0x48, 0x83, 0xc4, 0x08, 0xc3], align: 16);
        w.AddSymbol("twice", SymbolType.Func, SymbolBinding.Global, twiceText, 0, 16);
        w.RelocationsOf(twiceText).Relocations.Add(new ElfWriter.Relocation(5, 4 /* R_X86_64_PLT32 */, w.Symbols.Single(s => s.Name == "answer"), -4));
        var written = Path.Combine(Dir, "written.o");
        File.WriteAllBytes(written, w.ToBytes());

        var main = _cc.Compile("""
            #include <stdio.h>
            int answer(void); const char *message(void); int twice(void);
            int main(void) { printf("%d %s %d\n", answer(), message(), twice()); return 0; }
            """, "-O2", name: "main");
        Run("gcc", "-o", Path.Combine(Dir, "prog"), main, written);
        Assert.Equal("42 written by ElfWriter 84\n", Run(Path.Combine(Dir, "prog")));

        var back = ElfFile.Open(written);
        var message = back.Sections.Single(s => s.Name == ".text.message");
        var r = Assert.Single(back.RelocationsFor(message).ToArray());
        Assert.Equal((3ul, 2u, -4L), (r.Offset, r.Type, r.Addend));
        Assert.Equal((".LC0", ".rodata.str1.1"), (back.SymbolAt(r.SymbolIndex).Name, back.SymbolAt(r.SymbolIndex).Section!.Name));
        // Locals come first and sh_info counts them, as ld requires.
        var symtab = back.Sections.Single(s => s.Type == SectionType.SymTab);
        Assert.Equal((uint)back.Symbols.Count(s => s.IsLocal), symtab.Info);
        Assert.True(back.Symbols.Skip((int)symtab.Info).All(s => !s.IsLocal));
    }

    [RequiresFact(Tool.Gcc, Tool.Ld)]
    public void A_gcc_object_read_and_written_again_agrees_with_readelf_and_links_the_same()
    {
        var original = _cc.Compile(Source, CompiledObjects.KernelLikeFlags + " -g", name: "orig");
        var rewritten = Path.Combine(Dir, "rewritten.o");
        File.WriteAllBytes(rewritten, ElfWriter.From(ElfFile.Open(original)).ToBytes());

        Assert.Equal(SectionTable(original), SectionTable(rewritten));
        Assert.Equal(ReadElf(original, "-W", "-s"), ReadElf(rewritten, "-W", "-s"));
        Assert.Equal(Relocations(original), Relocations(rewritten));
        Assert.NotEmpty(Relocations(original));

        // And through our own reader: every section's bytes, symbol and relocation.
        var a = ElfFile.Open(original);
        var b = ElfFile.Open(rewritten);
        Assert.Equal(a.Sections.Select(s => (s.Name, s.Type, s.Flags, s.Size, s.AddressAlign, s.EntrySize)),
            b.Sections.Select(s => (s.Name, s.Type, s.Flags, s.Size, s.AddressAlign, s.EntrySize)));
        foreach (var (x, y) in a.Sections.Zip(b.Sections).Where(p => p.First.Type is not (SectionType.StrTab or SectionType.SymTab)))
            Assert.True(x.Contents.Span.SequenceEqual(y.Contents.Span), $"{x.Name} differs");
        Assert.Equal(a.Symbols.Select(s => (s.Name, s.Type, s.Binding, s.Value, s.Size, s.SectionIndex)),
            b.Symbols.Select(s => (s.Name, s.Type, s.Binding, s.Value, s.Size, s.SectionIndex)));

        // ld takes it, and the program linked from it behaves as the one linked from gcc's object.
        Run("ld", "-r", "-o", Path.Combine(Dir, "relinked.o"), rewritten);
        Run("gcc", "-no-pie", "-o", Path.Combine(Dir, "from-gcc"), original);
        Run("gcc", "-no-pie", "-o", Path.Combine(Dir, "from-writer"), rewritten);
        Assert.Equal("api 2 two\n48\n", Run(Path.Combine(Dir, "from-gcc")));
        Assert.Equal(Run(Path.Combine(Dir, "from-gcc")), Run(Path.Combine(Dir, "from-writer")));
    }

    [RequiresFact(Tool.Gcc, Tool.Ld)]
    public void Sections_can_be_dropped_and_a_second_relocation_section_added_for_one_target()
    {
        var original = _cc.Compile(Source, CompiledObjects.KernelLikeFlags, name: "edit");
        var w = ElfWriter.From(ElfFile.Open(original));
        var api = w.Sections.Single(s => s.Name == ".text.api");
        var extra = new ElfWriter.Section(".klp.rela.vmlinux.text.api", SectionType.Rela,
            SectionFlags.Alloc | SectionFlags.InfoLink | (SectionFlags)ElfWriter.RelaLivepatchFlag)
        { Kind = ElfWriter.Kind.Relocations, Info = api, AddressAlign = 8 };
        var klpSymbol = w.AddSymbol(".klp.sym.vmlinux.counter,0", SymbolType.Object, SymbolBinding.Global, null);
        klpSymbol.SpecialIndex = ElfWriter.LivepatchSectionIndex;
        extra.Relocations.Add(new ElfWriter.Relocation(0, 2, klpSymbol, -4));
        w.Sections.Add(extra);
        var comment = w.Sections.Single(s => s.Name == ".comment");
        w.Sections.Remove(comment);
        var path = Path.Combine(Dir, "edited.o");
        File.WriteAllBytes(path, w.ToBytes());

        var sections = SectionTable(path);
        Assert.DoesNotContain(sections, l => l.StartsWith(".comment ", StringComparison.Ordinal));
        Assert.Contains(".klp.rela.vmlinux.text.api RELA 0000000000000000 000018 18 AIo", string.Join('\n', sections));
        var symbols = ReadElf(path, "-W", "-s");
        Assert.Matches(@"GLOBAL\s+DEFAULT\s+OS \[0xff20\]\s+\.klp\.sym\.vmlinux\.counter,0", symbols);
        var back = ElfFile.Open(path);
        var klp = back.Sections.Single(s => s.Name == ".klp.rela.vmlinux.text.api");
        Assert.Equal(".text.api", back.Sections[(int)klp.Info].Name);
        Assert.Equal(SectionType.SymTab, back.Sections[(int)klp.Link].Type);
        Assert.Equal(0xff20u, back.SymbolAt(ElfWriter.ReadRela(back, klp).Single().SymbolIndex).SectionIndex);
    }

    /// <summary>readelf -S without the file offsets, which a writer is free to choose.</summary>
    private static List<string> SectionTable(string path) =>
        ReadElf(path, "-W", "-S").Split('\n').Select(l => SectionLine().Match(l)).Where(m => m.Success)
            .Select(m => $"{m.Groups[1].Value} {m.Groups[2].Value} {m.Groups[3].Value} {m.Groups[4].Value} {Regex.Replace(m.Groups[5].Value.Trim(), @"\s+", " ")}")
            .ToList();

    /// <summary>readelf -r without the relocation sections' file offsets.</summary>
    private static string Relocations(string path) => OffsetOf().Replace(ReadElf(path, "-W", "-r"), "");

    private static string ReadElf(string path, params string[] args) => Run("readelf", [.. args, path]);

    private static string Run(string program, params string[] args)
    {
        var r = ProcessRunner.Run(Path.GetTempPath(), program, args);
        Assert.True(r.ExitCode == 0, $"{program} {string.Join(' ', args)}: {r.All}");
        return r.StdOut;
    }

    // [Nr] Name Type Address Off Size ES Flg Lk Inf Al: keeps name, type, address, then size onwards.
    [GeneratedRegex(@"^\s*\[\s*\d+\]\s+(\S+)\s+(\S+)\s+([0-9a-f]{16})\s+[0-9a-f]+\s+([0-9a-f]+)(.*)$")]
    private static partial Regex SectionLine();

    [GeneratedRegex(@" at offset 0x[0-9a-f]+")]
    private static partial Regex OffsetOf();
}
