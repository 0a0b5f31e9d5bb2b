using GitKsplice.Analysis;
using GitKsplice.Livepatch;
using GitKsplice.Tests.Analysis;
using GitKsplice.Tests.Support;

namespace GitKsplice.Tests.Livepatch;

/// <summary>
/// The statics a kernel macro makes for one use site, on real gcc objects: the analysis does not correlate or
/// compare them because the update brings its own copy, so the module must carry that copy, never point at the
/// running kernel's. The analysis and the extractor read one catalogue (<see cref="KernelCatalogue"/>); these
/// tests pin what the module gets for each kind of static.
/// </summary>
public sealed class SpecialStaticTests : IDisposable
{
    private const string Flags = CompiledObjects.KernelLikeFlags + " -pg -mfentry -mrecord-mcount";
    private readonly CompiledObjects _cc = new();
    public void Dispose() => _cc.Dispose();

    /// <summary>
    /// pr_debug with CONFIG_DYNAMIC_DEBUG: a descriptor per call site in __dyndbg (named by __UNIQUE_ID, so by
    /// __COUNTER__), holding the format the control file shows and the flags the kernel sets there.
    /// </summary>
    private const string DynamicDebug = """
        struct _ddebug { const char *modname, *function, *filename, *format; unsigned int lineno:18, class_id:6, flags:8; };
        extern void __dynamic_pr_debug(struct _ddebug *descriptor, const char *fmt, ...);
        int show(int x)
        {
            static struct _ddebug __attribute__((aligned(8), section("__dyndbg"), used)) __UNIQUE_ID_ddebug412 =
                { "show", "show", "show.c", "value %d\n", 7, 0, 0 };
            if (__UNIQUE_ID_ddebug412.flags & 1)
                __dynamic_pr_debug(&__UNIQUE_ID_ddebug412, "value %d\n", x);
            return x + 1;
        }
        """;

    private string SystemMap(string extra)
    {
        var dir = Path.Combine(_cc.Directory, "orig-config");
        Directory.CreateDirectory(dir);
        var map = Path.Combine(dir, "System.map");
        File.WriteAllText(map, "ffffffff81000040 T __fentry__\nffffffff81000080 T printk\nffffffff81000090 T __dynamic_pr_debug\n" +
            "ffffffff810000a0 T sink\nffffffff810000c0 T show\n" + extra);
        return map;
    }

    private PatchExtractor Extract(string original, string patched, string systemMap = "")
    {
        var (pre, post) = _cc.Pair(original, patched, Flags);
        var comparison = new ElfObjectAnalyzer().Compare(pre, post);
        Assert.Equal(["show"], comparison.Changed);
        var extractor = new PatchExtractor(KernelSymbols.Load(SystemMap(systemMap), "System.map in ORIG_CONFIG", null),
            new HashSet<string> { "__fentry__", "printk", "__dynamic_pr_debug", "sink" });
        extractor.Add(new ChangedObject("kernel/show.o", pre, post, [.. comparison.Changed], "vmlinux"));
        return extractor;
    }

    [RequiresFact(Tool.Gcc)]
    public void A_changed_pr_debug_brings_its_own_dynamic_debug_descriptor_with_the_new_format()
    {
        var patched = DynamicDebug.Replace("value %d", "value is %d");

        // The running kernel has the descriptor under the same name: the module must still not use it (its
        // format is the old one, and the code it describes is not the update's).
        var extractor = Extract(DynamicDebug, patched, "ffffffff82000000 d __UNIQUE_ID_ddebug412.0\n");

        Assert.Empty(extractor.Refusals);
        Assert.DoesNotContain(extractor.Sites, s => s.Name.StartsWith("__UNIQUE_ID_ddebug", StringComparison.Ordinal));
        var descriptor = Assert.Single(extractor.Output.Sections, s => s.Name == "__dyndbg");
        Assert.Equal(40, descriptor.Contents.Length);
        // Its format pointer goes to the update's own copy of the new text.
        var format = Assert.Single(extractor.Output.RelocationsOf(descriptor).Relocations, r => r.Offset == 24);
        var strings = Assert.Single(extractor.Output.Sections, s => s.Contents.AsSpan().IndexOf("value is %d\n"u8) >= 0);
        Assert.Equal(strings, format.Symbol.Section);
    }

    [RequiresFact(Tool.Gcc)]
    public void A_pr_debug_whose_descriptor_number_moved_is_carried_rather_than_refused()
    {
        // A pr_debug added earlier in the file moves __COUNTER__: the running kernel has no descriptor of the new name.
        var patched = DynamicDebug.Replace("value %d", "value is %d").Replace("ddebug412", "ddebug413");

        var extractor = Extract(DynamicDebug, patched, "ffffffff82000000 d __UNIQUE_ID_ddebug412.0\n");

        Assert.Empty(extractor.Refusals);
        Assert.Single(extractor.Output.Sections, s => s.Name == "__dyndbg");
        Assert.Equal(["show"], extractor.Functions.Select(f => f.OldName));
    }

    [RequiresFact(Tool.Gcc)]
    public void A_flag_in_data_unlikely_is_the_updates_own_with_its_new_value()
    {
        // Older kernels' WARN_ONCE put its flag in .data.unlikely; the analysis does not compare such a flag.
        const string original = """
            extern int printk(const char *fmt, ...);
            int show(int x)
            {
                static int __attribute__((section(".data.unlikely"))) reported = 0;
                if (x < 0 && !reported) { reported = 1; printk("negative %d\n", x); }
                return x + 1;
            }
            """;
        var patched = original.Replace("reported = 0;", "reported = 2;").Replace("negative %d", "negative: %d");

        var extractor = Extract(original, patched, "ffffffff82000000 d reported.0\n");

        Assert.Empty(extractor.Refusals);
        Assert.DoesNotContain(extractor.Sites, s => s.Name.StartsWith("reported", StringComparison.Ordinal));
        var flag = Assert.Single(extractor.Output.Sections, s => s.Name == ".data.unlikely");
        Assert.Equal([2, 0, 0, 0], flag.Contents);
    }

    [RequiresTheory(Tool.Gcc)]
    [InlineData("static const char __msg[] = \"bad value\"; sink(__msg);")]
    [InlineData("sink(__FUNCTION__);")]
    [InlineData("static const struct { const char *fmt; int level; } _entry = { \"bad value\", 3 }; sink(_entry.fmt);")]
    public void A_read_only_special_static_is_carried_as_read_only_data_is(string use)
    {
        // netlink's NL_SET_ERR_MSG (__msg), gcc's __FUNCTION__ and the printk index's _entry are const: read-only
        // data, carried with the function whatever its name.
        var original = $"extern void sink(const void *p);\nint show(int x) {{ {use} return x + 1; }}\n";
        var patched = original.Replace("x + 1", "x + 2");

        var extractor = Extract(original, patched);

        Assert.Empty(extractor.Refusals);
        Assert.Empty(extractor.Sites);
        Assert.Contains(extractor.Output.Sections, s => s.Name.StartsWith(".rodata", StringComparison.Ordinal));
    }
}
