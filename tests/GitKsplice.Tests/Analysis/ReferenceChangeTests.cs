using GitKsplice.Analysis;
using GitKsplice.Tests.Support;

namespace GitKsplice.Tests.Analysis;

/// <summary>
/// The changes a hot-patch tool most often gets wrong, compiled from C these tests write, at -O0, -O2 and -Os on
/// x86-64 and AArch64: a string literal behind a local label, a format string, a static const table, a switch
/// gcc turns into a table, __func__, an array of pointers, a line number passed to a plain function, a static
/// local moved into a helper. Each change must be found (never "no change"), none may be refused.
/// </summary>
public sealed class ReferenceChangeTests : IDisposable
{
    private readonly CompiledObjects _cc = new();
    private readonly ElfObjectAnalyzer _analyzer = new();

    public void Dispose() => _cc.Dispose();

    public static TheoryData<string, string> Builds()
    {
        var data = new TheoryData<string, string>();
        foreach (var compiler in new[] { "gcc", "aarch64-linux-gnu-gcc" })
            foreach (var level in new[] { "-O0", "-O2", "-Os" })
                data.Add(compiler, level);
        return data;
    }

    // One translation unit holding every case; the patch changes each case's function and nothing else, and
    // inserts a line at the top, so that the __LINE__ report_here() passes moves (it lies more than the three
    // lines of a hunk's context away from every change, as a function the patch does not touch).
    private const string Original = """
        /*LINES*/
        extern int printf(const char *, ...);
        extern void report(const char *file, int line);
        typedef int unused_one;
        typedef int unused_two;

        const char *greeting(void) { return "hello"; }

        int show(int v) { return printf("value=%d\n", v); }

        static const int weights[] = { 3, 5, 7, 11, 13, 17, 19, 23 };
        int weigh(int i) { return weights[i & 7] * i; }

        int sizes(int x)
        {
            switch (x) {
            case 0: return 10; case 1: return 21; case 2: return 35; case 3: return 43;
            case 4: return 58; case 5: return 65; case 6: return 76; case 7: return 91;
            }
            return -1;
        }

        int whoami(int x) { return printf("%s: %d\n", __func__, x); }

        static const char *const colours[] = { "red", "green", "blue", "cyan" };
        const char *colour(int i) { return colours[i & 3]; }

        /*HELPER*/
        int tick(void) { static int ticks; return ++ticks; }
        typedef int unused_three;
        typedef int unused_four;
        typedef int unused_five;
        typedef int unused_six;
        void report_here(int x) { if (x > 3) report(__FILE__, __LINE__); }
        """;

    private static string Patched(string original) => original
        .Replace("/*LINES*/", "/* a comment\n   of two lines */")
        .Replace("\"hello\"", "\"hello, world\"")
        .Replace("value=%d\\n", "value: %d\\n")
        .Replace("{ 3, 5, 7, 11,", "{ 3, 5, 7, 12,")
        .Replace("case 5: return 65;", "case 5: return 66;")
        .Replace("__func__, x)", "__func__, x + 1)")
        .Replace("\"green\"", "\"teal\"")
        .Replace("/*HELPER*/", "__attribute__((noinline)) static int bump(void) { static int ticks; return ++ticks; }")
        .Replace("int tick(void) { static int ticks; return ++ticks; }", "int tick(void) { return bump(); }");

    [RequiresTheory]
    [MemberData(nameof(Builds))]
    public void Every_change_is_found_and_none_is_refused(string compiler, string level)
    {
        Assert.True(CompiledObjects.Have(compiler), $"{compiler} is missing: run scripts/install-test-deps.sh");
        var flags = $"{level} -fno-pie -fno-common -ffunction-sections -fdata-sections";
        var original = _cc.Compile(Original, flags, compiler, "a/unit");
        var patched = _cc.Compile(Patched(Original), flags, compiler, "b/unit");
        var patch = Diff(Original, Patched(Original));

        var r = _analyzer.Compare(original, patched, new ComparisonContext(PatchLines.Parse(patch)));
        Assert.Empty(r.Unsafe);
        foreach (var function in new[] { "greeting", "show", "weigh", "sizes", "whoami", "colour", "tick" })
            Assert.True(r.Changed.Contains(function), $"{function} not found changed: {Describe(r)}");
        Assert.Contains("bump", r.New);
        Reason(r, "greeting", "\"hello\" → \"hello, world\"");
        Reason(r, "show", "\"value=%d\\n\" → \"value: %d\\n\"");
        Reason(r, "weigh", "weights");
        Reason(r, "colour", "colours");
        Assert.Equal("report_here", Assert.Single(r.LineOnly).Symbol);
        Assert.DoesNotContain("report_here", r.Changed);

        // Without the patch, the line passed to a function the kernel rules do not know is a change.
        var unknown = _analyzer.Compare(original, patched);
        Assert.Contains("report_here", unknown.Changed);
        Assert.Equal(r.Changed.Except(["report_here"]), unknown.Changed.Except(["report_here"]));
    }

    private static void Reason(ObjectComparison r, string function, string expected)
    {
        var reason = r.Details.Single(d => d.Symbol == function && d.Kind == "function").Reason!;
        Assert.True(reason.Contains(expected, StringComparison.Ordinal), $"{function}: \"{reason}\" does not name {expected}");
        Assert.DoesNotMatch("[0-9a-f]{12}", reason);
    }

    private static string Describe(ObjectComparison r) =>
        string.Join("; ", r.Details.Select(d => $"{d.Status} {d.Symbol} {d.Reason}"));

    /// <summary>The patch as git would print it: diff -u of the two versions of the file.</summary>
    private static string Diff(string original, string patched)
    {
        using var dir = new TempDir();
        dir.Write("a/unit.c", original);
        dir.Write("b/unit.c", patched);
        return ProcessRunner.Run(dir.Path, "diff", ["-u", "a/unit.c", "b/unit.c"]).StdOut;
    }
}
