using GitKsplice.Analysis;
using GitKsplice.Tests.Support;

namespace GitKsplice.Tests.Analysis;

/// <summary>The object comparison on pairs of objects compiled by gcc from sources these tests write.</summary>
public sealed class ObjectAnalysisTests : IDisposable
{
    private readonly CompiledObjects _cc = new();
    private readonly ElfObjectAnalyzer _analyzer = new();

    public void Dispose() => _cc.Dispose();

    private ObjectComparison Compare(string original, string patched, string flags = CompiledObjects.KernelLikeFlags)
    {
        var (o, p) = _cc.Pair(original, patched, flags);
        return _analyzer.Compare(o, p);
    }

    private const string Base = """
        int shared_counter;
        static int helper(int x) { return x * 3 + shared_counter; }
        int api_one(int a) { return helper(a) + 1; }
        int api_two(int a, int b) { return a * b - 7; }
        """;

    [RequiresFact(Tool.Gcc)]
    public void Identical_sources_have_no_functional_change()
    {
        var r = Compare(Base, Base);
        Assert.False(r.HasFunctionalChange);
        Assert.Empty(r.Changed);
        Assert.Empty(r.Details);
    }

    [RequiresFact(Tool.Gcc)]
    public void A_body_change_marks_only_that_function()
    {
        var r = Compare(Base, Base.Replace("a * b - 7", "a * b - 8"));
        Assert.Equal(["api_two"], r.Changed);
        Assert.Empty(r.New);
        Assert.Empty(r.Removed);
        Assert.Empty(r.Unsafe);
        Assert.Contains("code differs", r.Details.Single().Reason);
    }

    [RequiresFact(Tool.Gcc)]
    public void A_new_function_and_a_removed_function_are_reported_as_such()
    {
        var patched = Base.Replace("int api_two(int a, int b) { return a * b - 7; }", "int api_three(int a) { return a - 99; }");
        var r = Compare(Base, patched);
        Assert.Equal(["api_three"], r.New);
        Assert.Equal(["api_two"], r.Removed);
        Assert.Empty(r.Changed);
        Assert.True(r.HasFunctionalChange);
    }

    [RequiresFact(Tool.Gcc)]
    public void A_new_static_helper_is_new_and_its_caller_changed()
    {
        const string original = """
            int value;
            int api(int a) { return a + value; }
            """;
        const string patched = """
            int value;
            __attribute__((noinline)) static int clamp(int a) { return a > 100 ? 100 : a; }
            int api(int a) { return clamp(a) + value; }
            """;
        var r = Compare(original, patched);
        Assert.Equal(["clamp"], r.New);
        Assert.Equal(["api"], r.Changed);
        Assert.Contains("now refers to clamp", r.Details.Single(d => d.Symbol == "api").Reason);
    }

    [RequiresFact(Tool.Gcc)]
    public void A_change_in_an_inlined_callee_changes_its_callers()
    {
        var r = Compare(Base, Base.Replace("x * 3", "x * 5"));
        Assert.Equal(["api_one"], r.Changed);
    }

    [RequiresFact(Tool.Gcc)]
    public void A_new_function_inserted_before_others_does_not_make_them_change()
    {
        var patched = "int extra(int q) { return q ^ 0x55; }\n" + Base;
        var r = Compare(Base, patched);
        Assert.Equal(["extra"], r.New);
        Assert.Empty(r.Changed);
    }

    [RequiresFact(Tool.Gcc)]
    public void Either_side_may_be_missing()
    {
        var o = _cc.Compile(Base);
        var added = _analyzer.Compare(null, o);
        Assert.Equal(["api_one", "api_two"], added.New); // helper is inlined away at -O2
        Assert.Contains("api_one", added.New);
        Assert.Contains("api_two", added.New);
        var removed = _analyzer.Compare(o, null);
        Assert.Contains("api_one", removed.Removed);
        Assert.Contains("api_two", removed.Removed);
        Assert.Empty(removed.Unsafe);
    }

    [RequiresFact(Tool.Gcc)]
    public void A_changed_string_literal_changes_the_function_and_names_both_strings()
    {
        const string source = """
            extern int printf(const char *, ...);
            void greet(void) { printf("hello, world\n"); }
            void part(void) { printf("goodbye\n"); }
            """;
        var r = Compare(source, source.Replace("hello, world", "hello, there"));
        Assert.Equal(["greet"], r.Changed);
        var reason = r.Details.Single().Reason!;
        Assert.Contains("hello, world", reason);
        Assert.Contains("hello, there", reason);
    }

    [RequiresFact(Tool.Gcc)]
    public void A_string_that_moves_in_the_string_table_is_not_a_change()
    {
        const string source = """
            extern int puts(const char *);
            void first(void) { puts("first message"); }
            void second(void) { puts("second message"); }
            """;
        // A new string ahead of the others shifts their offsets in .rodata.str1.1.
        var patched = source.Replace("void first(void) { puts(\"first message\"); }",
            "void first(void) { puts(\"a brand new and rather long message\"); puts(\"first message\"); }");
        var r = Compare(source, patched);
        Assert.Equal(["first"], r.Changed);
    }

    [RequiresFact(Tool.Gcc)]
    public void A_changed_initial_value_of_global_data_is_unsafe()
    {
        const string source = """
            int limit = 10;
            int over(int x) { return x > limit; }
            """;
        var r = Compare(source, source.Replace("limit = 10", "limit = 20"));
        var finding = Assert.Single(r.Unsafe);
        Assert.Equal("data-changed", finding.Kind);
        Assert.Equal("limit", finding.Symbol);
        Assert.Contains("initial contents", finding.Reason);
        Assert.Empty(r.Changed);
    }

    [RequiresFact(Tool.Gcc)]
    public void A_struct_that_grew_is_an_unsafe_size_change()
    {
        const string original = """
            struct state { int a; int b; };
            struct state st;
            int get(void) { return st.b; }
            """;
        var patched = original.Replace("int a; int b;", "int a; int extra; int b;");
        var r = Compare(original, patched);
        var finding = Assert.Single(r.Unsafe);
        Assert.Equal("data-size-changed", finding.Kind);
        Assert.Equal("st", finding.Symbol);
        Assert.Contains("from 8 to 12 bytes", finding.Reason);
        Assert.Equal(["get"], r.Changed);
    }

    [RequiresFact(Tool.Gcc)]
    public void New_global_data_is_allowed()
    {
        const string original = "int a = 1;\nint use(void) { return a; }\n";
        const string patched = "int a = 1;\nint b = 2;\nint use(void) { return a + b; }\n";
        var r = Compare(original, patched);
        Assert.Empty(r.Unsafe);
        Assert.Equal(["use"], r.Changed);
        Assert.Contains(r.Details, d => d is { Symbol: "b", Kind: "data", Status: "new" });
    }

    [RequiresFact(Tool.Gcc)]
    public void A_changed_read_only_table_rides_with_the_functions_that_use_it()
    {
        const string source = """
            static const int table[4] = { 1, 2, 3, 4 };
            int lookup(int i) { return table[i & 3]; }
            int other(int i) { return i + 1; }
            """;
        var r = Compare(source, source.Replace("3, 4", "3, 5"));
        Assert.Empty(r.Unsafe);
        Assert.Equal(["lookup"], r.Changed);
        Assert.Contains("data object 'table' changed", r.Details.Single(d => d.Symbol == "lookup").Reason);
        var carried = Assert.Single(r.Carried);
        Assert.Equal(["table"], carried.Data);
    }

    [RequiresFact(Tool.Gcc)]
    public void A_changed_read_only_table_the_update_cannot_re_point_is_unsafe()
    {
        // A global table other objects may read, and one that writable data points at (an operations table
        // registered at boot): the running kernel keeps using the old copies.
        const string source = """
            const int shared_table[4] = { 1, 2, 3, 4 };
            static const int ops[2] = { 5, 6 };
            const int *registered = ops;
            int lookup(int i) { return shared_table[i & 3] + ops[i & 1]; }
            """;
        var global = Compare(source, source.Replace("3, 4", "3, 5"));
        var finding = Assert.Single(global.Unsafe);
        Assert.Equal(("read-only-data-changed", "shared_table"), (finding.Kind, finding.Symbol));
        Assert.Contains("global", finding.Reason);

        var pointed = Compare(source, source.Replace("5, 6", "5, 7"));
        finding = Assert.Single(pointed.Unsafe);
        Assert.Equal(("read-only-data-changed", "ops"), (finding.Kind, finding.Symbol));
        Assert.Contains("writable data object 'registered' points at it", finding.Reason);
    }

    [RequiresFact(Tool.Gcc)]
    public void Special_statics_are_the_updates_own_and_never_existing_state()
    {
        // WARN_ONCE's flag lives in .data.once; moving the WARN renumbers it and changes nothing the kernel keeps.
        const string source = """
            extern void warn(const char *);
            int check(int x)
            {
                static int __warned __attribute__((section(".data.once")));
                if (x > 3 && !__warned) { __warned = 1; warn("too big"); }
                return x;
            }
            """;
        var r = Compare(source, source.Replace("\"too big\"", "\"much too big\""));
        Assert.Empty(r.Unsafe);
        Assert.Equal(["check"], r.Changed);
        Assert.Contains(r.Carried.Single().Data, d => d.StartsWith("__warned", StringComparison.Ordinal));
    }

    [RequiresFact(Tool.Gcc)]
    public void Static_locals_correlate_by_their_function_not_their_number()
    {
        const string original = """
            int tick(void) { static int counter; return ++counter; }
            int tock(void) { static int counter = 5; return counter += 2; }
            """;
        // An extra static local ahead renumbers both counters (counter.1 → counter.3 and so on).
        var patched = "int first(void) { static int seen; return seen++; }\n" + original.Replace("counter += 2", "counter += 3");
        var r = Compare(original, patched);
        Assert.Empty(r.Unsafe);
        Assert.Equal(["tock"], r.Changed);
        Assert.Equal(["first"], r.New);
    }

    [RequiresFact(Tool.Gcc)]
    public void A_function_that_drops_its_static_local_is_unsafe()
    {
        const string original = "int tick(int x) { static int calls; calls++; return x + calls; }\n";
        const string patched = "int tick(int x) { return x + 1; }\n";
        var r = Compare(original, patched);
        var finding = Assert.Single(r.Unsafe, u => u.Kind == "static-local-reference-removed");
        Assert.Equal("tick", finding.Symbol);
        Assert.Contains("calls", finding.Reason);
    }

    [RequiresFact(Tool.Gcc)]
    public void A_static_function_made_global_is_an_unsafe_binding_change()
    {
        const string original = """
            __attribute__((noinline)) static int inner(int x) { return x * 7; }
            int outer(int x) { return inner(x) + 1; }
            """;
        var patched = original.Replace("static int inner", "int inner");
        var r = Compare(original, patched);
        var finding = Assert.Single(r.Unsafe, u => u.Kind == "symbol-binding-changed");
        Assert.Equal("inner", finding.Symbol);
        Assert.Contains("local (static) to global", finding.Reason);
    }

    [RequiresFact(Tool.Gcc)]
    public void A_changed_init_function_is_unsafe()
    {
        const string source = """
            #define __init __attribute__((__section__(".init.text"), cold, noinline))
            int config;
            int __init setup(void) { config = 3; return 0; }
            int __init other_setup(void) { config += 1; return 0; }
            int use(void) { return config; }
            """;
        var r = Compare(source, source.Replace("config = 3", "config = 4"));
        var finding = Assert.Single(r.Unsafe);
        Assert.Equal("init-changed", finding.Kind);
        Assert.Equal("setup", finding.Symbol);
        Assert.Empty(r.Changed);
    }

    [RequiresFact(Tool.Gcc)]
    public void A_function_moved_into_another_section_is_unsafe()
    {
        const string original = "int work(int x) { return x * 11; }\n";
        const string patched = "__attribute__((__section__(\".noinstr.text\"))) int work(int x) { return x * 11; }\n";
        var r = Compare(original, patched);
        var finding = Assert.Single(r.Unsafe);
        Assert.Equal("section-changed", finding.Kind);
        Assert.Contains(".noinstr.text", finding.Reason);
    }

    [RequiresFact(Tool.Gcc)]
    public void Debug_information_does_not_count()
    {
        var r = Compare(Base, "\n\n\n" + Base, CompiledObjects.KernelLikeFlags + " -g");
        Assert.False(r.HasFunctionalChange);
        Assert.Empty(r.LineOnly);
    }
}
