using System.Text.RegularExpressions;
using GitKsplice.Analysis;
using GitKsplice.Tests.Cli;

namespace GitKsplice.Tests.Analysis;

/// <summary>
/// kpatch's own unit-test corpus: real x86_64 kernel object pairs with kpatch's verdicts (NAME.PATCHED.o: kpatch
/// builds a patch; NAME.PATCHED.FAIL.o: it refuses) and its count of functions in the patch module
/// (assert_num_funcs in NAME.test). Read from shared/ beside the repository (never copied into it).
/// </summary>
public sealed partial class KpatchCorpusTests
{
    /// <summary>
    /// Where CI lays a copy of shared/: beside the repository's clone (GKS_KPATCH_OBJS names another place, for a
    /// work tree that is not a clone).
    /// </summary>
    public static string Corpus { get; } = Environment.GetEnvironmentVariable("GKS_KPATCH_OBJS") is { Length: > 0 } elsewhere
        ? Path.GetFullPath(elsewhere)
        : Path.GetFullPath(Path.Combine(InstalledTools.RepositoryRoot, "..", "shared", "kpatch-unit-test-objs", "x86_64"));

    /// <summary>
    /// Why kpatch refuses each FAIL pair, as our verdict must say it: a changed __init function, or nothing to
    /// patch at all (kpatch fails with "no changed functions"; for us exit 3, nothing to ship).
    /// </summary>
    private static readonly Dictionary<string, string> FailReasons = new()
    {
        ["meminfo-init"] = "init-changed",     // the patch changes proc_meminfo_init(), which ran at boot
        ["meminfo-init2"] = "init-changed",    // the same, beside a patchable change of meminfo_proc_show()
        ["unique-id-pr-1314"] = "no-change",   // only __UNIQUE_ID_ numbers differ
        ["warn-detect"] = "no-change",         // only WARN line numbers moved
    };

    private readonly ElfObjectAnalyzer _analyzer = new();

    private static IEnumerable<(string Name, string Original, string Patched, bool Fails)> Pairs() =>
        Directory.EnumerateFiles(Corpus, "*.ORIG.o").Order(StringComparer.Ordinal).Select(original =>
        {
            var name = Path.GetFileName(original)[..^".ORIG.o".Length];
            var patched = Path.Combine(Corpus, name + ".PATCHED.o");
            var failing = Path.Combine(Corpus, name + ".PATCHED.FAIL.o");
            return File.Exists(patched) ? (name, original, patched, false) : (name, original, failing, true);
        }).Where(p => File.Exists(p.Item3));

    [CorpusFact]
    public void Verdicts_agree_with_kpatch_on_at_least_95_percent_of_its_pairs()
    {
        var pairs = Pairs().ToList();
        Assert.True(pairs.Count >= 50, $"only {pairs.Count} pairs in {Corpus}");
        var disagreements = new List<string>();
        foreach (var (name, original, patched, fails) in pairs)
        {
            var r = _analyzer.Compare(original, patched);
            var ours = r.Unsafe.Count > 0 ? r.Unsafe[0].Kind : r.HasFunctionalChange ? "patchable" : "no-change";
            var expected = fails ? FailReasons.GetValueOrDefault(name, "a refusal") : "patchable";
            if (ours != expected)
                disagreements.Add($"{name}: kpatch {expected}, ours {ours}: {string.Join("; ", r.Unsafe.Select(u => u.Reason))}");
        }
        // The bar is 95 %; every disagreement must also be one the README explains, and there are none today.
        double agreement = 1 - disagreements.Count / (double)pairs.Count;
        Assert.True(disagreements.Count == 0, $"{agreement:P0} agreement with kpatch; disagreements:\n{string.Join("\n", disagreements)}");
    }

    [CorpusFact]
    public void Function_counts_equal_kpatchs_where_it_asserts_one()
    {
        var checkedCount = 0;
        var wrong = new List<string>();
        foreach (var (name, original, patched, fails) in Pairs())
        {
            var test = Path.Combine(Corpus, name + ".test");
            if (fails || !File.Exists(test) || AssertNumFuncs().Match(File.ReadAllText(test)) is not { Success: true } m) continue;
            int expected = int.Parse(m.Groups[1].Value);
            var r = _analyzer.Compare(original, patched);
            checkedCount++;
            if (r.FunctionCount != expected)
                wrong.Add($"{name}: kpatch {expected}, ours {r.FunctionCount} (changed {string.Join(", ", r.Changed)}; new {string.Join(", ", r.New)}; carried {string.Join(", ", r.Carried.SelectMany(c => c.Functions))})");
        }
        Assert.True(checkedCount >= 30, $"only {checkedCount} pairs assert a function count");
        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
    }

    [CorpusFact]
    public void A_string_change_names_both_strings_and_the_cold_piece_rides_with_its_function()
    {
        var strings = _analyzer.Compare(Path.Combine(Corpus, "meminfo-string.ORIG.o"), Path.Combine(Corpus, "meminfo-string.PATCHED.o"));
        Assert.Equal(["meminfo_proc_show"], strings.Changed);
        Assert.Contains("\"VmallocChunk:   \" → \"VMALLOCCHUNK:   \"", strings.Details.Single(d => d.Symbol == "meminfo_proc_show").Reason);

        var cold = _analyzer.Compare(Path.Combine(Corpus, "cold-change-sub.ORIG.o"), Path.Combine(Corpus, "cold-change-sub.PATCHED.o"));
        var carried = Assert.Single(cold.Carried);
        Assert.Equal("meminfo_proc_open", carried.Function);
        Assert.Equal(["meminfo_proc_open.cold.0"], carried.Functions);
    }

    [GeneratedRegex(@"^assert_num_funcs (\d+)", RegexOptions.Multiline)]
    private static partial Regex AssertNumFuncs();

    /// <summary>A fact that is skipped, saying why, where shared/ is not beside the repository.</summary>
    private sealed class CorpusFactAttribute : FactAttribute
    {
        public CorpusFactAttribute()
        {
            if (!Directory.Exists(Corpus))
                Skip = $"kpatch's unit-test objects are not at {Corpus} (a copy of shared/ beside the repository holds them)";
        }
    }
}
