using GitKsplice.Analysis;
using GitKsplice.Livepatch;
using GitKsplice.Tests.Analysis;
using GitKsplice.Tests.Support;

namespace GitKsplice.Tests.Livepatch;

/// <summary>
/// What the livepatch core cannot carry, refused before any module is built, on real gcc objects: __init code,
/// code that is not part of the running kernel (boot code, the vDSO, objects archived in a lib.a), and carried
/// code with jump labels. Each refusal names the function and says what to do.
/// </summary>
public sealed class LivepatchRefusalTests : IDisposable
{
    private const string Flags = CompiledObjects.KernelLikeFlags + " -pg -mfentry -mrecord-mcount";
    private readonly CompiledObjects _cc = new();
    public void Dispose() => _cc.Dispose();

    private const string Original = """
        extern int printk(const char *fmt, ...);
        __attribute__((section(".init.text"))) int setup(void) { return printk("setting up\n"); }
        int show(int x) { return printk("value %d\n", x); }
        """;

    /// <summary>The running kernel: a System.map with the functions above and __fentry__/printk exported.</summary>
    private string ConfigDirectory()
    {
        var dir = Path.Combine(_cc.Directory, "orig-config");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, ".config"), "#\n# Linux/x86 6.1.192 Kernel Configuration\n#\nCONFIG_LIVEPATCH=y\n");
        File.WriteAllText(Path.Combine(dir, "System.map"),
            "ffffffff81000040 T __fentry__\nffffffff81000080 T printk\nffffffff810000c0 T show\nffffffff82000000 T setup\nffffffff82100000 D tracing_key\n");
        return dir;
    }

    private static HashSet<string> Exports => ["__fentry__", "printk"];

    private PatchExtractor Extract(string original, string patched, Func<ObjectComparison, IReadOnlyList<string>>? functions = null)
    {
        var (pre, post) = _cc.Pair(original, patched, Flags);
        var comparison = new ElfObjectAnalyzer().Compare(pre, post);
        var map = Path.Combine(ConfigDirectory(), "System.map");
        var extractor = new PatchExtractor(KernelSymbols.Load(map, "System.map in ORIG_CONFIG", null), Exports);
        extractor.Add(new ChangedObject("init/setup.o", pre, post, functions?.Invoke(comparison) ?? [.. comparison.Changed, .. comparison.New], "vmlinux"));
        return extractor;
    }

    [RequiresFact(Tool.Gcc)]
    public void A_changed_init_function_is_unsafe_and_the_module_would_refuse_it_too()
    {
        var patched = Original.Replace("setting up", "setting it up");
        var (pre, post) = _cc.Pair(Original, patched, Flags);
        var finding = Assert.Single(new ElfObjectAnalyzer().Compare(pre, post).Unsafe);
        Assert.Equal(("init-changed", "setup"), (finding.Kind, finding.Symbol));

        // Should anything hand it to the module all the same, the extractor refuses it and carries nothing.
        var extractor = Extract(Original, patched, _ => ["setup"]);
        var refusal = Assert.Single(extractor.Refusals);
        Assert.Equal(("setup", "livepatch-init"), (refusal.Symbol, refusal.Kind));
        Assert.Contains("__init code, freed after boot", refusal.Reason);
        Assert.Empty(extractor.Functions);
        Assert.DoesNotContain(extractor.Output.Sections, s => s.Name.StartsWith(".init.", StringComparison.Ordinal));
    }

    [RequiresFact(Tool.Gcc)]
    public void A_new_init_function_is_refused_while_a_new_ordinary_one_is_carried()
    {
        var patched = Original + """
            __attribute__((section(".init.text"))) int setup_more(void) { return printk("more\n"); }
            __attribute__((noinline)) int helper(int x) { return printk("helper %d\n", x); }
            """;
        patched = patched.Replace("return printk(\"value %d\\n\", x);", "return helper(x);");

        var extractor = Extract(Original, patched);

        var refusal = Assert.Single(extractor.Refusals);
        Assert.Equal(("setup_more", "livepatch-init"), (refusal.Symbol, refusal.Kind));
        Assert.Equal(["show"], extractor.Functions.Select(f => f.OldName));
        Assert.Contains(extractor.Output.Sections, s => s.Name == ".text.helper");
    }

    /// <summary>The kernel's arch_static_branch: a NOP the key's users patch, and a __jump_table entry (code, target, key).</summary>
    internal const string JumpLabel = """
        extern int printk(const char *fmt, ...);
        extern struct static_key { int enabled; } tracing_key;
        int show(int x)
        {
            asm goto("1: .byte 0x0f,0x1f,0x44,0x00,0x00\n\t"
                     ".pushsection __jump_table, \"aw\"\n\t.balign 8\n\t"
                     ".long 1b - ., %l[traced] - .\n\t.quad tracing_key - .\n\t.popsection" : : : : traced);
            return printk("value %d\n", x);
        traced:
            return printk("traced %d\n", x);
        }
        """;

    [RequiresFact(Tool.Gcc)]
    public void Carried_code_with_a_jump_label_on_a_key_of_vmlinux_carries_its_entry()
    {
        var extractor = Extract(JumpLabel, JumpLabel.Replace("value %d", "value is %d"));

        // Livepatch writes vmlinux's relocations as the module loads, before the kernel reads its __jump_table.
        Assert.Empty(extractor.Refusals);
        Assert.Equal(["show"], extractor.Functions.Select(f => f.OldName));
        var table = Assert.Single(extractor.Output.Sections, s => s.Name == "__jump_table");
        Assert.Equal(16, table.Contents.Length);
        var key = Assert.Single(extractor.Sites, s => s.Name == "tracing_key");
        Assert.Equal(("vmlinux", "vmlinux"), (key.KernelObject, key.SymbolObject));
    }

    [RequiresFact(Tool.Gcc)]
    public void Boot_vdso_and_archived_objects_are_refused_and_an_object_of_the_kernel_proper_is_not()
    {
        var tree = Path.Combine(_cc.Directory, "tree");
        Directory.CreateDirectory(Path.Combine(tree, "lib"));
        Directory.CreateDirectory(Path.Combine(tree, "arch/x86/lib"));
        File.WriteAllText(Path.Combine(tree, "Module.symvers"), "0x00000000\tprintk\tvmlinux\tEXPORT_SYMBOL\t\n0x00000000\t__fentry__\tvmlinux\tEXPORT_SYMBOL\t\n");
        var (pre, post) = _cc.Pair(Original, Original.Replace("value %d", "value is %d"), Flags);
        // lib/lib.a as Kbuild writes it (a thin archive: member paths, no contents), arch/x86/lib/lib.a as a plain one.
        File.Copy(post, Path.Combine(tree, "lib/string.o"));
        File.Copy(post, Path.Combine(tree, "arch/x86/lib/memcpy.o"));
        Run(tree, "ar", "cDPrsT", "lib/lib.a", "lib/string.o");
        Run(Path.Combine(tree, "arch/x86/lib"), "ar", "cDrs", "lib.a", "memcpy.o");
        var spec = new ModuleBuildSpec("refused", tree, ConfigDirectory(), new Dictionary<string, string?>(),
            Path.Combine(_cc.Directory, "work"), Path.Combine(_cc.Directory, "livepatch.log"), Replace: false, Follows: null);
        string[] paths = ["arch/x86/boot/compressed/misc.o", "arch/x86/entry/vdso/vclock_gettime.o", "lib/string.o", "arch/x86/lib/memcpy.o", "kernel/show.o"];

        var plan = ModuleBuilder.Plan(spec, paths.Select(p => new ChangedObject(p, pre, post, ["show"], "vmlinux")).ToList());

        Assert.Equal(paths[..4], plan.Refusals.Select(r => r.Object));
        Assert.All(plan.Refusals, r => Assert.Equal(("show", "livepatch-outside-kernel"), (r.Symbol, r.Kind)));
        Assert.All(plan.Refusals, r => Assert.EndsWith("livepatch patches only vmlinux and loadable modules", r.Reason));
        Assert.Contains("boot code", plan.Refusals[0].Reason);
        Assert.Contains("vDSO code", plan.Refusals[1].Reason);
        Assert.Contains("archived in lib/lib.a", plan.Refusals[2].Reason);
        Assert.Contains("archived in arch/x86/lib/lib.a", plan.Refusals[3].Reason);
        // kernel/show.o is extracted: its show() is what the module would replace.
        Assert.Equal([("vmlinux", "show", 0)], plan.Functions.Select(f => (f.KernelObject, f.OldName, f.Sympos)));
        Assert.Equal(new KernelRelease("6.1.192", ".config in ORIG_CONFIG"), plan.Release);
    }

    private static void Run(string dir, string program, params string[] args)
    {
        var r = ProcessRunner.Run(dir, program, args);
        Assert.True(r.ExitCode == 0, $"{program} {string.Join(' ', args)}: {r.All}");
    }
}
