using GitKsplice.Analysis;

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

    [Fact]
    public void Identical_sources_have_no_functional_change()
    {
        var r = Compare(Base, Base);
        Assert.False(r.HasFunctionalChange);
        Assert.Empty(r.Changed);
        Assert.Empty(r.Details);
    }

    [Fact]
    public void A_body_change_marks_only_that_function()
    {
        var r = Compare(Base, Base.Replace("a * b - 7", "a * b - 8"));
        Assert.Equal(["api_two"], r.Changed);
        Assert.Empty(r.New);
        Assert.Empty(r.Removed);
        Assert.Empty(r.Unsafe);
        Assert.Contains("code differs", r.Details.Single().Reason);
    }

    [Fact]
    public void A_new_function_and_a_removed_function_are_reported_as_such()
    {
        var patched = Base.Replace("int api_two(int a, int b) { return a * b - 7; }", "int api_three(int a) { return a - 99; }");
        var r = Compare(Base, patched);
        Assert.Equal(["api_three"], r.New);
        Assert.Equal(["api_two"], r.Removed);
        Assert.Empty(r.Changed);
        Assert.True(r.HasFunctionalChange);
    }

    [Fact]
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

    [Fact]
    public void A_change_in_an_inlined_callee_changes_its_callers()
    {
        var r = Compare(Base, Base.Replace("x * 3", "x * 5"));
        Assert.Equal(["api_one"], r.Changed);
    }

    [Fact]
    public void A_new_function_inserted_before_others_does_not_make_them_change()
    {
        var patched = "int extra(int q) { return q ^ 0x55; }\n" + Base;
        var r = Compare(Base, patched);
        Assert.Equal(["extra"], r.New);
        Assert.Empty(r.Changed);
    }

    [Fact]
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
}
