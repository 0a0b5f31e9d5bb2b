using GitKsplice.Analysis;
using GitKsplice.Tests.Support;

namespace GitKsplice.Tests.Analysis;

/// <summary>
/// The kernel's own patterns, compiled by gcc outside Kbuild: __LINE__ passed to WARN/might_sleep/printk helpers,
/// __bug_table entries made with .pushsection, __mcount_loc from -pg -mrecord-mcount, -mfentry,
/// __patchable_function_entries, gcc's .cold and .part splits and numbered clones.
/// </summary>
public sealed class KernelPatternTests : IDisposable
{
    private const string KernelFlags = CompiledObjects.KernelLikeFlags + " -pg -mrecord-mcount -mfentry";
    private readonly CompiledObjects _cc = new();
    private readonly ElfObjectAnalyzer _analyzer = new();

    public void Dispose() => _cc.Dispose();

    /// <summary>Both versions are compiled from a file of the same name, as a kernel tree would be (__FILE__ matters).</summary>
    private ObjectComparison Compare(string original, string patched, string flags = KernelFlags)
    {
        return _analyzer.Compare(_cc.Compile(original, flags, name: "orig/unit"), _cc.Compile(patched, flags, name: "patched/unit"));
    }

    private const string Kernelish = """
        extern void __might_sleep(const char *file, int line);
        extern int _printk(const char *fmt, ...);
        extern void warn_slowpath_fmt(const char *file, const int line, unsigned taint, const char *fmt, ...);
        extern void do_work(int);
        extern void record(int line);
        #define might_sleep() __might_sleep(__FILE__, __LINE__)
        #define WARN(c, fmt) ({ int __c = !!(c); if (__builtin_expect(__c, 0)) warn_slowpath_fmt(__FILE__, __LINE__, 9, fmt); __c; })
        #define BUG_ON(c) do { if (c) asm volatile("1: ud2\n.pushsection __bug_table,\"aw\"\n2: .long 1b - .\n.short %c0\n.popsection" :: "i"(__LINE__)); } while (0)
        static int state;
        /*MARK*/
        int sleeper(int x)
        {
            might_sleep();
            do_work(x);
            return x + state;
        }
        int warner(int x)
        {
            WARN(x > 100, "too big\n");
            return x - 1;
        }
        int buggy(int x)
        {
            BUG_ON(x < 0);
            return x * 2;
        }
        int printer(int x)
        {
            _printk("line %d value %d\n", __LINE__, x);
            return 0;
        }
        int recorder(int x)
        {
            record(__LINE__);
            return x;
        }
        """;

    [RequiresFact(Tool.Gcc)]
    public void A_blank_line_above_warn_might_sleep_and_printk_calls_is_a_line_number_only_change()
    {
        var r = Compare(Kernelish, Kernelish.Replace("/*MARK*/", "\n\n"));
        var lineOnly = r.LineOnly.ToDictionary(l => l.Symbol, l => l.Reason);
        Assert.Contains("__might_sleep", lineOnly["sleeper"]);
        Assert.Contains("warn_slowpath_fmt", lineOnly["warner"]);
        Assert.Contains("_printk", lineOnly["printer"]);
        // buggy keeps its line in __bug_table, which is not compared: no difference at all.
        Assert.DoesNotContain("buggy", lineOnly.Keys);
        // record() is not known to take a line number: passing a different one is a real change.
        Assert.Equal(["recorder"], r.Changed);
    }

    [RequiresFact(Tool.Gcc)]
    public void A_changed_constant_next_to_a_line_number_call_is_a_real_change()
    {
        var r = Compare(Kernelish, Kernelish.Replace("return x + state;", "return x + state + 1;"));
        Assert.Equal(["sleeper"], r.Changed);
        Assert.Empty(r.LineOnly);
    }

    [RequiresFact(Tool.Gcc)]
    public void A_changed_warning_text_is_a_real_change()
    {
        var r = Compare(Kernelish, Kernelish.Replace("too big", "far too big"));
        Assert.Equal(["warner"], r.Changed);
    }

    [RequiresFact(Tool.Gcc)]
    public void Bug_table_mcount_and_patchable_entries_do_not_make_unchanged_functions_change()
    {
        const string flags = KernelFlags + " -fpatchable-function-entry=4,2";
        var patched = Kernelish.Replace("/*MARK*/", "int inserted(int y) { BUG_ON(y == 3); might_sleep(); return y * 9; }");
        var r = Compare(Kernelish, patched, flags);
        Assert.Equal(["inserted"], r.New);
        Assert.Empty(r.Changed);
        Assert.Empty(r.Unsafe);
        Assert.Empty(r.LineOnly); // inserted above everything: a line-number-only change would show up here
    }

    [RequiresFact(Tool.Gcc)]
    public void A_change_in_a_cold_part_marks_its_parent_and_hides_the_piece()
    {
        const string source = """
            extern void report(const char *, int) __attribute__((cold));
            extern int slow_path(int);
            int process(int *v, int n)
            {
                int sum = 0;
                for (int i = 0; i < n; i++) {
                    if (__builtin_expect(v[i] < 0, 0)) {
                        report("negative value", i);
                        sum += slow_path(v[i]) * 3;
                        continue;
                    }
                    sum += v[i];
                }
                return sum;
            }
            int other(int x) { return x + 1; }
            """;
        var patched = source.Replace("slow_path(v[i]) * 3", "slow_path(v[i]) * 5");
        var (o, p) = _cc.Pair(source, patched);
        var r = _analyzer.Compare(o, p);
        Assert.Equal(["process"], r.Changed);
        Assert.DoesNotContain(r.Details, d => d.Symbol.Contains(".cold"));
        Assert.Contains("process.cold", r.Details.Single().Reason);
    }

    [RequiresFact(Tool.Gcc)]
    public void A_change_in_a_partial_inlining_clone_is_reported_under_its_own_name()
    {
        const string source = """
            extern int ext(int);
            struct item { int flags; int v[8]; };
            static int walk(struct item *it)
            {
                if (!it || !(it->flags & 1))
                    return 0;
                int s = 0;
                for (int i = 0; i < 8; i++) s += ext(it->v[i]) * (i + 1);
                for (int i = 0; i < 8; i++) s ^= ext(s + it->v[i]);
                return s;
            }
            int a1(struct item *it) { return walk(it) + 1; }
            int a2(struct item *it) { return walk(it) + 2; }
            int a3(struct item *it) { return walk(it) * 3; }
            """;
        var (o, p) = _cc.Pair(source, source.Replace("s ^= ext", "s += ext"));
        var r = _analyzer.Compare(o, p);
        Assert.Equal(["walk.part.0"], r.Changed);
    }

    [RequiresFact(Tool.Gcc)]
    public void Numbered_clone_suffixes_are_tolerated()
    {
        // gcc's clone numbers depend on everything else in the file; pin them to show the analysis ignores them.
        const string source = """
            static int helper(int) __asm__("helper.isra.3");
            __attribute__((noinline)) static int helper(int x) { return x * 13; }
            static int tuned(int) __asm__("tuned.constprop.0");
            __attribute__((noinline)) static int tuned(int x) { return x - 2; }
            int api(int x) { return helper(x) + tuned(x); }
            """;
        var patched = source.Replace("helper.isra.3", "helper.isra.7").Replace("tuned.constprop.0", "tuned.constprop.1")
            .Replace("x - 2", "x - 3");
        var (o, p) = _cc.Pair(source, patched);
        var r = _analyzer.Compare(o, p);
        Assert.Equal(["tuned.constprop.1"], r.Changed);
        Assert.Empty(r.New);
        Assert.Empty(r.Removed);
        var detail = r.Details.Single();
        Assert.Equal("tuned.constprop.0", detail.OriginalName);
    }

    [RequiresFact(Tool.Gcc)]
    public void Warn_once_flags_in_a_shared_section_are_compared_as_symbols()
    {
        const string source = """
            extern void warn_slowpath_fmt(const char *file, const int line, unsigned taint, const char *fmt, ...);
            #define WARN_ONCE(c, fmt) ({ static _Bool __attribute__((section(".data.once"))) __already_done; \
                int __c = !!(c); if (__builtin_expect(__c && !__already_done, 0)) { __already_done = 1; \
                warn_slowpath_fmt(__FILE__, __LINE__, 9, fmt); } __c; })
            /*MARK*/
            int checker(int x) { WARN_ONCE(x > 10, "big\n"); return x; }
            int other(int x) { WARN_ONCE(x < -10, "small\n"); return -x; }
            """;
        // A new WARN_ONCE ahead adds a flag at the start of .data.once, shifting the others' offsets.
        var patched = source.Replace("/*MARK*/", "int first(int x) { WARN_ONCE(x == 7, \"seven\\n\"); return 0; }");
        var r = Compare(source, patched);
        Assert.Equal(["first"], r.New);
        Assert.Empty(r.Changed);
        Assert.Empty(r.Unsafe);
        Assert.Empty(r.LineOnly);
    }

    [RequiresFact(Tool.Gcc)]
    public void A_change_inside_an_ipa_clone_is_the_clone_alone()
    {
        // -O2 turns scale() into scale.constprop.0.isra.0 (-fipa-cp, -fipa-sra): the constant factor is folded in
        // and the unused argument dropped. Its callers call the clone and do not change with its body.
        const string source = """
            static __attribute__((noinline)) int scale(int *p, int factor, int unused) { return *p * factor + *p / factor; }
            int user1(int x) { return scale(&x, 4, 0) + 1; }
            int user2(int x) { return scale(&x, 4, 0) + 2; }
            """;
        var (o, p) = _cc.Pair(source, source.Replace("*p / factor", "*p % factor"), CompiledObjects.KernelLikeFlags + " -fipa-cp -fipa-sra");
        var r = _analyzer.Compare(o, p);
        var changed = Assert.Single(r.Changed);
        Assert.StartsWith("scale.", changed);
        Assert.Contains(".constprop", changed);
        Assert.Empty(r.New);
        Assert.Empty(r.Removed);
    }
}
