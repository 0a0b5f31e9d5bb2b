using System.Text;
using System.Text.RegularExpressions;
using GitKsplice.Analysis;
using GitKsplice.Elf;
using GitKsplice.Livepatch;
using GitKsplice.Tests.Analysis;
using GitKsplice.Tests.Support;

namespace GitKsplice.Tests.Livepatch;

/// <summary>
/// The update's code extracted from real gcc objects, linked by ld the way Kbuild links a module, and the
/// finished module rewritten with livepatch relocations and symbols as the kernel's module-elf-format wants:
/// .klp.rela.&lt;obj&gt;.&lt;section&gt; (SHT_RELA, SHF_ALLOC | SHF_INFO_LINK | SHF_RELA_LIVEPATCH, sh_link the
/// symbol table, sh_info the patched section) against .klp.sym.&lt;obj&gt;.&lt;name&gt;,&lt;sympos&gt; at SHN_LIVEPATCH.
/// </summary>
public sealed partial class ModuleRewriteTests : IDisposable
{
    private const string Flags = CompiledObjects.KernelLikeFlags + " -pg -mfentry -mrecord-mcount";
    private readonly CompiledObjects _cc = new();
    public void Dispose() => _cc.Dispose();
    private string Dir => _cc.Directory;

    private const string Original = """
        extern int printk(const char *fmt, ...);
        extern int exported_helper(int);
        int hidden_global = 5;
        static int counter;
        static __attribute__((noinline)) int helper(int x) { return x + counter++; }
        int show(int x) { printk("value %d\n", helper(x) + hidden_global); return exported_helper(x); }
        """;

    /// <summary>The running kernel's System.map and exports, as a Kbuild tree and ORIG_CONFIG give them.</summary>
    private (KernelSymbols Symbols, HashSet<string> Exports) Kernel(params string[] extraMapLines)
    {
        var map = new StringBuilder();
        ulong address = 0xffffffff81000000;
        foreach (var (type, name) in new[] { ('T', "__fentry__"), ('T', "printk"), ('T', "exported_helper"), ('t', "helper"), ('T', "show"), ('D', "hidden_global"), ('b', "counter") })
            map.Append($"{address += 0x40:x16} {type} {name}\n");
        foreach (var line in extraMapLines) map.Append(line).Append('\n');
        var path = Path.Combine(Dir, "System.map");
        File.WriteAllText(path, map.ToString());
        var symvers = Path.Combine(Dir, "vmlinux.symvers");
        File.WriteAllText(symvers, "0x00000000\t__fentry__\tvmlinux\tEXPORT_SYMBOL\t\n0x00000000\tprintk\tvmlinux\tEXPORT_SYMBOL\t\n0x00000000\texported_helper\tvmlinux\tEXPORT_SYMBOL_GPL\t\n");
        return (KernelSymbols.Load(path, "System.map in ORIG_CONFIG", null), PatchExtractor.ReadExports(symvers));
    }

    private PatchExtractor Extract(string original, string patched, (KernelSymbols Symbols, HashSet<string> Exports) kernel)
    {
        var (pre, post) = _cc.Pair(original, patched, Flags);
        var comparison = new ElfObjectAnalyzer().Compare(pre, post);
        var extractor = new PatchExtractor(kernel.Symbols, kernel.Exports);
        extractor.Add(new ChangedObject("kernel/show.o", pre, post, [.. comparison.Changed, .. comparison.New], "vmlinux"));
        return extractor;
    }

    [RequiresFact(Tool.Gcc, Tool.Ld)]
    public void A_linked_module_gets_livepatch_sections_and_symbols_for_what_only_the_kernel_resolves()
    {
        var extractor = Extract(Original, Original.Replace("value %d", "value is %d"), Kernel());
        Assert.Empty(extractor.Refusals);
        var replaced = Assert.Single(extractor.Functions);
        Assert.Equal(("vmlinux", "show", 0), (replaced.KernelObject, replaced.OldName, replaced.Sympos));
        Assert.Equal(["helper", "hidden_global"], extractor.Sites.Select(s => s.Name).Distinct().Order());

        // Kbuild's way: the registration and the extracted object linked with ld -r into the .ko.
        var patchObject = Path.Combine(Dir, "patch.o");
        File.WriteAllBytes(patchObject, extractor.Output.ToBytes());
        var registration = _cc.Compile("""
            extern char __ksplice_fn_0[];
            void *new_func = __ksplice_fn_0;
            static const char vermagic[] __attribute__((section(".modinfo"), used)) = "vermagic=6.1.0+ mod_unload ";
            static const char license[] __attribute__((section(".modinfo"), used)) = "license=GPL";
            """, CompiledObjects.KernelLikeFlags, name: "register");
        var linked = Path.Combine(Dir, "ksplice_t.ko");
        Run("ld", "-r", "-o", linked, registration, patchObject);

        var rewritten = Path.Combine(Dir, "ksplice_t.rewritten.ko");
        File.WriteAllBytes(rewritten, ModuleRewrite.Rewrite(ElfFile.Open(linked), extractor.Sites, "6.1.192+"));

        var sections = Run("readelf", "-W", "-S", rewritten);
        var klp = SectionRow().Matches(sections).Single(m => m.Groups["name"].Value == ".klp.rela.vmlinux..text.show");
        Assert.Equal("RELA", klp.Groups["type"].Value);
        Assert.Equal("AIo", klp.Groups["flags"].Value); // SHF_ALLOC, SHF_INFO_LINK and SHF_RELA_LIVEPATCH (an OS flag)
        var elf = ElfFile.Open(rewritten);
        var klpSection = elf.Sections.Single(s => s.Name == ".klp.rela.vmlinux..text.show");
        Assert.Equal(0x00100042ul, (ulong)klpSection.Flags);
        Assert.Equal(SectionType.SymTab, elf.Sections[(int)klpSection.Link].Type);
        var text = elf.Sections[(int)klpSection.Info];
        Assert.Equal(".text.show", text.Name);

        var symbols = Run("readelf", "-W", "-s", rewritten);
        Assert.Matches(@"FUNC\s+GLOBAL\s+DEFAULT\s+OS \[0xff20\]\s+\.klp\.sym\.vmlinux\.helper,0\n", symbols);
        Assert.Matches(@"OBJECT\s+GLOBAL\s+DEFAULT\s+OS \[0xff20\]\s+\.klp\.sym\.vmlinux\.hidden_global,0\n", symbols);
        Assert.DoesNotContain(PatchExtractor.MarkerPrefix, symbols);

        // Every livepatch entry uses a livepatch symbol and patches zeros no ordinary relocation touches.
        var klpEntries = ElfWriter.ReadRela(elf, klpSection);
        Assert.Equal(2, klpEntries.Count);
        var ordinary = elf.RelocationsFor(text).ToArray();
        foreach (var r in klpEntries)
        {
            Assert.Equal(ElfWriter.LivepatchSectionIndex, elf.SymbolAt(r.SymbolIndex).SectionIndex);
            Assert.True(text.Contents.Span.Slice((int)r.Offset, 4).IndexOfAnyExcept((byte)0) < 0);
            Assert.DoesNotContain(ordinary, o => o.Offset == r.Offset);
        }
        // What the module loader resolves stays ordinary: the exports, and the update's own string.
        var ordinaryTargets = ordinary.Select(r => elf.SymbolAt(r.SymbolIndex)).Select(s => s.Name.Length > 0 ? s.Name : s.Section!.Name).ToList();
        Assert.Contains("printk", ordinaryTargets);
        Assert.Contains("exported_helper", ordinaryTargets);
        Assert.Contains("__fentry__", ordinaryTargets);
        Assert.DoesNotContain(ordinaryTargets, n => n.StartsWith(".klp.sym.", StringComparison.Ordinal));
        Assert.Contains("value is %d", Encoding.ASCII.GetString(elf.Sections.Single(s => s.Name.EndsWith(".str1.1", StringComparison.Ordinal)).Contents.Span));
        // The carried function's ftrace entry goes with it.
        Assert.Equal(8ul, elf.Sections.Single(s => s.Name == "__mcount_loc").Size);

        var modinfo = Encoding.ASCII.GetString(elf.Sections.Single(s => s.Name == ".modinfo").Contents.Span);
        Assert.Contains("vermagic=6.1.192+ mod_unload \0", modinfo);
        Assert.Contains("license=GPL\0", modinfo);
        var license = elf.Symbols.Single(s => s.Name == "license");
        Assert.StartsWith("license=GPL", modinfo[(int)license.Value..]); // symbols after vermagic moved with it
    }

    [RequiresFact(Tool.Gcc, Tool.Ld)]
    public void A_function_without_an_ftrace_entry_or_missing_from_the_kernel_is_refused_with_what_to_do()
    {
        var notrace = Original.Replace("int show(int x)", "__attribute__((no_instrument_function)) int show(int x)");
        var refusal = Assert.Single(Extract(notrace, notrace.Replace("value %d", "value is %d"), Kernel()).Refusals);
        Assert.Equal(("show", "livepatch-no-ftrace"), (refusal.Symbol, refusal.Kind));
        Assert.Contains("patch its callers instead", refusal.Reason);

        var renamed = Original.Replace("show", "other_show");
        var missing = Assert.Single(Extract(renamed, renamed.Replace("value %d", "value is %d"), Kernel()).Refusals);
        Assert.Equal(("other_show", "livepatch-not-in-kernel"), (missing.Symbol, missing.Kind));
    }

    [RequiresFact(Tool.Gcc, Tool.Ld)]
    public void A_static_function_whose_name_the_kernel_has_twice_gets_its_position_from_vmlinux()
    {
        // Two files with a static helper(): vmlinux's file symbols tell which one is show.c's.
        var other = _cc.Compile("static __attribute__((noinline)) int helper(int x) { return x * 2; } int other(int x) { return helper(x); }",
            CompiledObjects.KernelLikeFlags, name: "other");
        var mine = _cc.Compile(Original, Flags, name: "show");
        var vmlinux = Path.Combine(Dir, "vmlinux");
        Run("ld", "-o", vmlinux, "-e", "0", "--unresolved-symbols=ignore-all", other, mine);
        var elf = ElfFile.Open(vmlinux);
        var helpers = elf.Symbols.Where(s => s.Name == "helper").OrderBy(s => s.Value).ToList();
        var map = string.Join('\n', elf.Symbols.Where(s => s.Name.Length > 0 && s.Section != null && s.Type is SymbolType.Func or SymbolType.Object)
            .OrderBy(s => s.Value).Select(s => $"{s.Value:x16} {(s.IsLocal ? 't' : 'T')} {s.Name}"));
        File.WriteAllText(Path.Combine(Dir, "System.map"), map + "\n");
        var symbols = KernelSymbols.Load(Path.Combine(Dir, "System.map"), "System.map in ORIG_CONFIG", vmlinux);

        int expected = helpers.FindIndex(h => FileOf(elf, h) == "show.c") + 1;
        Assert.Equal(2, helpers.Count);
        Assert.Equal(expected, symbols.Position("helper", isLocal: true, "show.c", ["counter"]));
        Assert.Equal(0, symbols.Position("show", isLocal: false, "show.c", []));
        Assert.Null(symbols.Position("absent", isLocal: true, "show.c", []));
    }

    private static string? FileOf(ElfFile elf, ElfSymbol symbol) =>
        elf.Symbols.Take(symbol.Index).LastOrDefault(s => s.Type == SymbolType.File)?.Name;

    private static string Run(string program, params string[] args)
    {
        var r = ProcessRunner.Run(Path.GetTempPath(), program, args);
        Assert.True(r.ExitCode == 0, $"{program} {string.Join(' ', args)}: {r.All}");
        return r.StdOut;
    }

    [GeneratedRegex(@"\]\s+(?<name>\S+)\s+(?<type>\S+)\s+[0-9a-f]{16}\s+[0-9a-f]+\s+[0-9a-f]+\s+[0-9a-f]+\s+(?<flags>[A-Za-z]+)\s")]
    private static partial Regex SectionRow();
}
