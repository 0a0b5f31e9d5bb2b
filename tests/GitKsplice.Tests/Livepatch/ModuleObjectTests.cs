using System.Text.RegularExpressions;
using GitKsplice.Analysis;
using GitKsplice.Elf;
using GitKsplice.Livepatch;
using GitKsplice.Tests.Analysis;
using GitKsplice.Tests.Support;

namespace GitKsplice.Tests.Livepatch;

/// <summary>
/// An update of a function of a loadable module, on real gcc objects linked with ld -r the way Kbuild links a
/// .ko: the module's klp_object, positions counted in the module's own symbol table (not System.map's address
/// order), and livepatch relocations applied when that module loads (.klp.rela.&lt;module&gt;.*) for what only
/// the module has, while vmlinux's exports stay ordinary and its unexported symbols stay vmlinux's.
/// </summary>
public sealed partial class ModuleObjectTests : IDisposable
{
    private const string Flags = CompiledObjects.KernelLikeFlags + " -pg -mfentry -mrecord-mcount";
    private readonly TempDir _dir = new();
    public void Dispose() => _dir.Dispose();

    // dup-mod.ko = other.o + show.o + dup-mod.mod.o: both objects have a static helper(), show.o uses other.o's
    // global, the module's own struct module, an export of vmlinux, one of another module, and a vmlinux
    // function nobody exports.
    private const string Other = """
        extern int printk(const char *fmt, ...);
        int shared_count;
        static __attribute__((noinline)) int helper(int x) { return printk("other %d\n", x); }
        int other(int x) { return helper(x) + shared_count; }
        """;

    private const string Show = """
        extern int printk(const char *fmt, ...);
        extern int other_mod_fn(int);
        extern int shared_count;
        extern struct module { char state[24]; char name[56]; } __this_module;
        static int counter;
        static __attribute__((noinline)) int helper(int x) { return x + counter++; }
        int show(int x) { printk("value %d %s\n", helper(x) + shared_count, __this_module.name); return other_mod_fn(x); }
        """;

    private const string ThisModule = """
        struct module { char state[24]; char name[56]; };
        struct module __this_module __attribute__((section(".gnu.linkonce.this_module"))) = { .name = "dup_mod" };
        """;

    private const string SystemMap = """
        ffffffff81000040 T __fentry__
        ffffffff81000080 T printk
        ffffffff810000c0 T kernel_only_fn
        ffffffff81000100 t helper
        """;

    private const string Symvers = "0x00000000\t__fentry__\tvmlinux\tEXPORT_SYMBOL\t\n0x00000000\tprintk\tvmlinux\tEXPORT_SYMBOL\t\n" +
        "0x00000000\tother_mod_fn\tdrivers/other/other-mod\tEXPORT_SYMBOL_GPL\t\n";

    private string Compile(string state, string name, string source, string flags = Flags)
    {
        var dir = Path.Combine(_dir.Path, state);
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, name + ".c"), source);
        Run(dir, "gcc", [.. flags.Split(' '), "-c", name + ".c", "-o", name + ".o"]);
        return Path.Combine(dir, name + ".o");
    }

    /// <summary>A Kbuild-shaped tree with the module's pre .ko kept as the pre build's output, and its System.map.</summary>
    private (ModuleBuildSpec Spec, string PreShow, string PostShow, string PreKo) Tree(string patchedShow, string originalShow = Show)
    {
        var preShow = Compile("pre", "show", originalShow);
        var postShow = Compile("post", "show", patchedShow);
        var preKo = Path.Combine(_dir.Path, "pre-outputs", "drivers/dup/dup-mod.ko");
        Directory.CreateDirectory(Path.GetDirectoryName(preKo)!);
        Run(_dir.Path, "ld", "-r", "-o", preKo, Compile("pre", "other", Other), preShow, Compile("pre", "dup-mod.mod", ThisModule, CompiledObjects.KernelLikeFlags));

        var tree = Path.Combine(_dir.Path, "tree");
        Directory.CreateDirectory(Path.Combine(tree, "drivers/dup"));
        File.WriteAllText(Path.Combine(tree, "modules.order"), "drivers/dup/dup-mod.ko\n");
        File.WriteAllText(Path.Combine(tree, "drivers/dup/dup-mod.mod"), "drivers/dup/other.o drivers/dup/show.o\n");
        File.WriteAllText(Path.Combine(tree, "Module.symvers"), Symvers);
        var config = Path.Combine(_dir.Path, "orig-config");
        Directory.CreateDirectory(config);
        File.WriteAllText(Path.Combine(config, ".config"), "#\n# Linux/x86 6.1.192 Kernel Configuration\n#\nCONFIG_LIVEPATCH=y\n");
        File.WriteAllText(Path.Combine(config, "System.map"), SystemMap);
        var spec = new ModuleBuildSpec("mod", tree, config, new Dictionary<string, string?>(), Path.Combine(_dir.Path, "work"),
            Path.Combine(_dir.Path, "livepatch.log"), Replace: false, Follows: null, PreOutputs: Path.Combine(_dir.Path, "pre-outputs"));
        return (spec, preShow, postShow, preKo);
    }

    private static ModulePlan Plan(ModuleBuildSpec spec, string pre, string post)
    {
        var comparison = new ElfObjectAnalyzer().Compare(pre, post);
        var kernelObject = ModuleBuilder.KernelObjectOf(spec.BuildTree, "drivers/dup/show.o");
        return ModuleBuilder.Plan(spec, [new ChangedObject("drivers/dup/show.o", pre, post, [.. comparison.Changed, .. comparison.New], kernelObject)]);
    }

    [RequiresFact(Tool.Gcc, Tool.Ld)]
    public void A_changed_module_function_is_replaced_in_its_module_with_positions_from_the_modules_symbol_table()
    {
        var (spec, pre, post, preKo) = Tree(Show.Replace("value %d %s", "value is %d %s"));

        var plan = Plan(spec, pre, post);

        Assert.Empty(plan.Refusals);
        Assert.Equal([("dup_mod", "show", 0)], plan.Functions.Select(f => (f.KernelObject, f.OldName, f.Sympos)));
        // show.c's helper is the second of the module's two in symbol-table order (ld put other.o first), found
        // by readelf independently of our reader; vmlinux's System.map has a helper too, which does not count.
        var helpers = ReadelfSymbols(preKo).Where(s => s.Name == "helper").ToList();
        Assert.Equal(["other.c", "show.c"], helpers.Select(h => h.File));
        var sites = plan.Extractor.Sites.Select(s => (s.KernelObject, s.SymbolName)).Distinct().Order().ToList();
        Assert.Equal([
            ("dup_mod", ".klp.sym.dup_mod.__this_module,0"),
            ("dup_mod", ".klp.sym.dup_mod.helper,2"),
            ("dup_mod", ".klp.sym.dup_mod.shared_count,0"),
            ("dup_mod", ".klp.sym.other_mod.other_mod_fn,0"),
        ], sites);
        // Said in the manifest: where the module's positions came from.
        Assert.Equal("System.map in ORIG_CONFIG; module dup_mod: the pre build's drivers/dup/dup-mod.ko", plan.Symbols.Source);

        // The registration names the module's object, and the linked, rewritten module carries the sections the
        // kernel applies when dup_mod loads; printk stays an ordinary relocation.
        var source = Registration.Source("mod", plan.Functions, replace: false);
        Assert.Contains("{ .name = \"dup_mod\", .funcs = ksplice_funcs_0 }", source);
        Assert.DoesNotContain(".name = NULL", source);
        var rewritten = LinkAndRewrite(plan);
        var sections = Run(_dir.Path, "readelf", "-W", "-S", rewritten);
        Assert.Equal([".klp.rela.dup_mod..text.show"], KlpSection().Matches(sections).Select(m => m.Value).Distinct());
        var symbols = Run(_dir.Path, "readelf", "-W", "-s", rewritten);
        Assert.Matches(@"FUNC\s+GLOBAL\s+DEFAULT\s+OS \[0xff20\]\s+\.klp\.sym\.dup_mod\.helper,2\n", symbols);
        Assert.Matches(@"NOTYPE\s+GLOBAL\s+DEFAULT\s+OS \[0xff20\]\s+\.klp\.sym\.dup_mod\.__this_module,0\n", symbols); // undefined in show.o: no type
        Assert.Matches(@"NOTYPE\s+GLOBAL\s+DEFAULT\s+OS \[0xff20\]\s+\.klp\.sym\.other_mod\.other_mod_fn,0\n", symbols);
        Assert.Matches(@"NOTYPE\s+GLOBAL\s+DEFAULT\s+UND printk\n", symbols);
        Assert.DoesNotContain(".klp.sym.vmlinux.", symbols);
    }

    [RequiresFact(Tool.Gcc, Tool.Ld)]
    public void A_jump_label_whose_key_lives_in_the_module_is_refused_with_what_to_do()
    {
        // The module's own static key: its relocation is applied only when the module is there, after the
        // kernel has read the update's __jump_table.
        var jumpLabel = LivepatchRefusalTests.JumpLabel.Replace("extern struct static_key { int enabled; } tracing_key;",
            "struct static_key { int enabled; } tracing_key;");
        var (spec, pre, post, _) = Tree(jumpLabel.Replace("value %d", "value is %d"), jumpLabel);

        var plan = Plan(spec, pre, post);

        var refusal = Assert.Single(plan.Refusals);
        Assert.Equal(("tracing_key", "livepatch-static-key"), (refusal.Symbol, refusal.Kind));
        Assert.Equal("carried code uses a jump label whose key tracing_key lives in module dup_mod: the kernel reads __jump_table before livepatch writes a module's relocations; test the key with static_key_enabled() instead", refusal.Reason);
    }

    [RequiresFact(Tool.Gcc, Tool.Ld)]
    public void A_pr_debug_of_the_module_whose_jump_label_key_is_its_own_descriptor_is_carried_not_refused()
    {
        // CONFIG_DYNAMIC_DEBUG with jump labels: the key is inside the call site's descriptor, which the update
        // carries, so the key is the update's own and resolved by an ordinary relocation.
        const string prDebug = """
            extern int printk(const char *fmt, ...);
            struct static_key { int enabled; };
            struct _ddebug { const char *modname, *function, *filename, *format; unsigned int lineno:18, class_id:6, flags:8; struct static_key key; };
            int show(int x)
            {
                static struct _ddebug __attribute__((aligned(8), section("__dyndbg"), used)) __UNIQUE_ID_ddebug7 =
                    { "dup_mod", "show", "show.c", "value %d\n", 7, 0, 0, { 0 } };
                asm goto("1: .byte 0x0f,0x1f,0x44,0x00,0x00\n\t"
                         ".pushsection __jump_table, \"aw\"\n\t.balign 8\n\t"
                         ".long 1b - ., %l[traced] - .\n\t.quad %c0 - .\n\t.popsection" : : "i"(&__UNIQUE_ID_ddebug7.key) : : traced);
                return x;
            traced:
                return printk(__UNIQUE_ID_ddebug7.format, x);
            }
            """;
        var (spec, pre, post, _) = Tree(prDebug.Replace("value %d", "value is %d"), prDebug);

        var plan = Plan(spec, pre, post);

        Assert.Empty(plan.Refusals);
        Assert.Single(plan.Extractor.Output.Sections, s => s.Name == "__dyndbg");
        Assert.Single(plan.Extractor.Output.Sections, s => s.Name == "__jump_table");
        Assert.DoesNotContain(plan.Extractor.Sites, s => s.Name.StartsWith("__UNIQUE_ID_ddebug", StringComparison.Ordinal));
    }

    [RequiresFact(Tool.Gcc, Tool.Ld)]
    public void New_code_of_a_module_reaches_vmlinux_through_vmlinux_sections_and_may_not_use_a_module_it_did_not_depend_on()
    {
        var fromVmlinux = Show.Replace("extern int shared_count;", "extern int shared_count;\nextern int kernel_only_fn(int);")
            .Replace("return other_mod_fn(x);", "return other_mod_fn(x) + kernel_only_fn(x);");
        var (spec, pre, post, _) = Tree(fromVmlinux);

        var plan = Plan(spec, pre, post);

        Assert.Empty(plan.Refusals);
        // An unexported vmlinux function: resolved with vmlinux (when the update loads), never from a module's section.
        var site = Assert.Single(plan.Extractor.Sites, s => s.Name == "kernel_only_fn");
        Assert.Equal(("vmlinux", ".klp.sym.vmlinux.kernel_only_fn,0"), (site.KernelObject, site.SymbolName));
        var sections = Run(_dir.Path, "readelf", "-W", "-S", LinkAndRewrite(plan));
        Assert.Equal([".klp.rela.dup_mod..text.show", ".klp.rela.vmlinux..text.show"],
            KlpSection().Matches(sections).Select(m => m.Value).Distinct().Order());

        // Another module's export the pre module did not use: nothing makes sure that module is loaded first.
        var independent = Show.Replace("return other_mod_fn(x);", "return 0;");
        var (spec2, pre2, post2, _) = Tree(independent.Replace("return 0;", "return other_mod_fn(x);"), independent);
        var refusal = Assert.Single(Plan(spec2, pre2, post2).Refusals);
        Assert.Equal(("other_mod_fn", "livepatch-module-dependency"), (refusal.Symbol, refusal.Kind));
        Assert.Contains("which module other_mod exports and dup_mod did not use before", refusal.Reason);
    }

    [RequiresFact(Tool.Gcc, Tool.Ld)]
    public void One_update_of_vmlinux_and_a_module_has_one_klp_object_for_each()
    {
        var (spec, pre, post, _) = Tree(Show.Replace("value %d %s", "value is %d %s"));
        const string kernelShow = "extern int printk(const char *fmt, ...);\nstatic __attribute__((noinline)) int helper(int x) { return x - 1; }\nint kernel_show(int x) { return printk(\"kernel %d\\n\", helper(x)); }\n";
        var kernelPre = Compile("pre", "kshow", kernelShow);
        var kernelPost = Compile("post", "kshow", kernelShow.Replace("kernel %d", "kernel: %d"));
        File.AppendAllText(Path.Combine(spec.ConfigDirectory!, "System.map"), "\nffffffff81000140 T kernel_show\n");
        var objects = new[] { ("kernel/kshow.o", kernelPre, kernelPost), ("drivers/dup/show.o", pre, post) }
            .Select(o => new ChangedObject(o.Item1, o.Item2, o.Item3, new ElfObjectAnalyzer().Compare(o.Item2, o.Item3).Changed.ToList(),
                ModuleBuilder.KernelObjectOf(spec.BuildTree, o.Item1))).ToList();

        var plan = ModuleBuilder.Plan(spec, objects);

        Assert.Empty(plan.Refusals);
        Assert.Equal([("vmlinux", "kernel_show", 0), ("dup_mod", "show", 0)], plan.Functions.Select(f => (f.KernelObject, f.OldName, f.Sympos)));
        // The kernel's helper is the one System.map has (vmlinux's position), the module's is the module's second.
        Assert.Contains(plan.Extractor.Sites, s => s.SymbolName == ".klp.sym.vmlinux.helper,0" && s.KernelObject == "vmlinux");
        Assert.Contains(plan.Extractor.Sites, s => s.SymbolName == ".klp.sym.dup_mod.helper,2" && s.KernelObject == "dup_mod");
        var source = Registration.Source("both", plan.Functions, replace: false);
        Assert.Contains("\t{ .name = NULL, .funcs = ksplice_funcs_0 },\n\t{ .name = \"dup_mod\", .funcs = ksplice_funcs_1 },\n\t{ }\n", source);
        var sections = Run(_dir.Path, "readelf", "-W", "-S", LinkAndRewrite(plan));
        Assert.Equal([".klp.rela.dup_mod..text.show", ".klp.rela.vmlinux..text.kernel_show"],
            KlpSection().Matches(sections).Select(m => m.Value).Distinct().Order());
    }

    [RequiresFact(Tool.Gcc, Tool.Ld)]
    public void A_function_the_modules_ko_does_not_have_is_refused_with_what_to_do()
    {
        var (spec, _, _, _) = Tree(Show.Replace("value %d %s", "value is %d %s"));
        var renamed = Show.Replace("int show(", "int shown(");

        var refusal = Assert.Single(Plan(spec, Compile("pre-renamed", "show", renamed), Compile("post-renamed", "show", renamed.Replace("value %d %s", "value is %d %s"))).Refusals);

        Assert.Equal(("shown", "livepatch-not-in-kernel"), (refusal.Symbol, refusal.Kind));
        Assert.Equal("shown() is not in the symbols of module dup_mod (inlined into its callers, or init code); change its callers instead", refusal.Reason);
    }

    [RequiresFact(Tool.Gcc, Tool.Ld)]
    public void A_module_without_its_ko_is_refused_with_what_to_do()
    {
        var (spec, pre, post, preKo) = Tree(Show.Replace("value %d %s", "value is %d %s"));
        File.Delete(preKo);

        var refusal = Assert.Single(Plan(spec, pre, post).Refusals);

        Assert.Equal(("show", "livepatch-unreachable"), (refusal.Symbol, refusal.Kind));
        Assert.Equal("show() is in module dup_mod, whose .ko is neither in the pre build's outputs nor in the build tree, so the positions of its symbols are unknown; build the modules with the kernel (ksplice.buildCommand: make vmlinux modules)", refusal.Reason);
    }

    [RequiresFact(Tool.Gcc, Tool.Ld)]
    public void A_position_the_module_loader_and_the_module_after_init_would_count_differently_is_refused()
    {
        // While a module loads the livepatch core sees every symbol of its .ko; once its init is freed, .init ones
        // are gone. A probe() in .init.text before the patched one shifts the count; one after it does not.
        const string init = "static __attribute__((section(\".init.text\"), noinline, used)) int probe(int x) { return x + 1; }\nint init_user(int x) { return x; }\n";
        const string text = "static __attribute__((noinline, used)) int probe(int x) { return x * 3; }\nint text_user(int x) { return probe(x); }\n";
        var initObject = Compile("dup", "init", init, CompiledObjects.KernelLikeFlags);
        var textObject = Compile("dup", "text", text, CompiledObjects.KernelLikeFlags);
        var initFirst = Path.Combine(_dir.Path, "init-first.ko");
        var textFirst = Path.Combine(_dir.Path, "text-first.ko");
        Run(_dir.Path, "ld", "-r", "-o", initFirst, initObject, textObject);
        Run(_dir.Path, "ld", "-r", "-o", textFirst, textObject, initObject);

        var shifted = ModuleSymbols.Open("init_first", initFirst, "test");
        var e = Assert.Throws<GitKsplice.Reporting.UserError>(() => shifted.Position("probe", isLocal: true, "text.c", ["text_user"]));
        Assert.Equal("probe is symbol 2 of that name in module init_first while it loads but 1 once its init code is freed; the livepatch core cannot address it by position (rename the .init symbol of that name)", e.Message);
        var init2 = Assert.Throws<GitKsplice.Reporting.UserError>(() => shifted.Position("probe", isLocal: true, "init.c", []));
        Assert.StartsWith("probe is init code of module init_first", init2.Message);

        var kept = ModuleSymbols.Open("text_first", textFirst, "test");
        Assert.Equal(1, kept.Position("probe", isLocal: true, "text.c", []));
        Assert.True(kept.Contains("text_user"));
        Assert.Null(kept.Position("absent", isLocal: true, "text.c", []));
    }

    /// <summary>The extracted object linked with a registration by ld -r, as Kbuild links the module, then rewritten.</summary>
    private string LinkAndRewrite(ModulePlan plan)
    {
        var patchObject = Path.Combine(_dir.Path, "patch.o");
        File.WriteAllBytes(patchObject, plan.Extractor.Output.ToBytes());
        var registration = Compile("register", "register", """
            extern char __ksplice_fn_0[];
            void *new_func = __ksplice_fn_0;
            static const char vermagic[] __attribute__((section(".modinfo"), used)) = "vermagic=6.1.192 mod_unload ";
            """, CompiledObjects.KernelLikeFlags);
        var linked = Path.Combine(_dir.Path, "ksplice_mod.ko");
        Run(_dir.Path, "ld", "-r", "-o", linked, registration, patchObject);
        var rewritten = Path.Combine(_dir.Path, "ksplice_mod.rewritten.ko");
        File.WriteAllBytes(rewritten, ModuleRewrite.Rewrite(ElfFile.Open(linked), plan.Extractor.Sites, null));
        return rewritten;
    }

    /// <summary>readelf's symbol table in file order: each named symbol with the STT_FILE it follows.</summary>
    private static List<(string Name, string? File)> ReadelfSymbols(string path)
    {
        var list = new List<(string, string?)>();
        string? file = null;
        foreach (Match m in SymbolRow().Matches(Run(Path.GetTempPath(), "readelf", "-W", "-s", path)))
        {
            if (m.Groups["type"].Value == "FILE") file = m.Groups["name"].Value;
            else list.Add((m.Groups["name"].Value, file));
        }
        return list;
    }

    private static string Run(string dir, string program, params string[] args)
    {
        var r = ProcessRunner.Run(dir, program, args);
        Assert.True(r.ExitCode == 0, $"{program} {string.Join(' ', args)}: {r.All}");
        return r.StdOut;
    }

    [GeneratedRegex(@"\.klp\.rela\.\S+")]
    private static partial Regex KlpSection();

    [GeneratedRegex(@"^\s*\d+:\s+[0-9a-f]+\s+\d+\s+(?<type>\w+)\s+\w+\s+\w+\s+\S+\s+(?<name>\S+)$", RegexOptions.Multiline)]
    private static partial Regex SymbolRow();
}
