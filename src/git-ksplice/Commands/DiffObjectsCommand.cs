using System.CommandLine;
using GitKsplice.Analysis;
using GitKsplice.Reporting;
using GitKsplice.Updates;

namespace GitKsplice.Cli.Commands;

/// <summary>
/// git ksplice diff-objects: plumbing that compares two objects of one translation unit and classifies what the
/// change did, function by function. The exit code is the verdict: 0 hot-patchable, 2 unsafe, 3 no code change.
/// </summary>
internal static class DiffObjectsCommand
{
    /// <summary>Stands for an object that does not exist on one side, as in git diff.</summary>
    private const string Absent = "/dev/null";

    public static Command Build()
    {
        var original = new Argument<string>("original") { Description = "The object built before the change (/dev/null: the change added it)" };
        var patched = new Argument<string>("patched") { Description = "The object built after the change (/dev/null: the change removed it)" };
        var json = new Option<bool>("--json") { Description = "Print the classification as JSON (stable camelCase keys)" };
        var command = new Command("diff-objects",
            "Compare two ELF objects of one translation unit: changed, new and removed functions, line-number-only changes and unsafe changes")
            { original, patched, json };
        command.Runs((context, parse) =>
        {
            string? o = parse.GetValue(original), p = parse.GetValue(patched);
            var result = new ElfObjectAnalyzer().Compare(o == Absent ? null : context.FullPath(o!), p == Absent ? null : context.FullPath(p!),
                new ComparisonContext { Cancel = context.Cancel });
            if (parse.GetValue(json)) context.WriteJson(DiffObjectsJson.Of(o == Absent ? null : o, p == Absent ? null : p, VerdictOf(result), result), KspliceJsonContext.Relaxed.DiffObjectsJson);
            else WriteText(context.Out, result);
            return Verdict(result);
        });
        return command;
    }

    public static int Verdict(ObjectComparison result) => VerdictOf(result) switch
    {
        UpdateVerdict.Unsafe => ExitCodes.Unsafe,
        UpdateVerdict.NoCodeChange => ExitCodes.NoChange,
        _ => ExitCodes.Success,
    };

    private static UpdateVerdict VerdictOf(ObjectComparison result) =>
        result.Unsafe.Count > 0 ? UpdateVerdict.Unsafe : result.HasFunctionalChange ? UpdateVerdict.HotPatchable : UpdateVerdict.NoCodeChange;

    /// <summary>One line per finding, status first, like git diff --name-status; reasons after a tab.</summary>
    private static void WriteText(TextWriter output, ObjectComparison result)
    {
        foreach (var d in result.Details.Where(d => d.Kind == "function"))
        {
            var name = d.OriginalName != null && d.PatchedName != null && d.OriginalName != d.PatchedName
                ? $"{d.PatchedName} (was {d.OriginalName})"
                : d.Symbol;
            output.WriteLine(d.Reason == null ? $"{d.Status,-10} {name}" : $"{d.Status,-10} {name}\t{d.Reason}");
        }
        foreach (var u in result.Unsafe)
            output.WriteLine($"{"unsafe",-10} {u.Symbol}\t{u.Kind}: {u.Reason}");
    }
}

/// <summary>diff-objects --json: the two objects (null for /dev/null), the verdict and the findings.</summary>
internal sealed record DiffObjectsJson(string? Original, string? Patched, UpdateVerdict Verdict,
    IReadOnlyList<string> Changed, IReadOnlyList<string> New, IReadOnlyList<string> Removed,
    IReadOnlyList<UnsafeFinding> Unsafe, IReadOnlyList<LineOnlyChange> LineOnly, IReadOnlyList<CarriedPieces> Carried,
    int FunctionCount, IReadOnlyList<DiffObjectsJson.Detail> Details)
{
    public static DiffObjectsJson Of(string? original, string? patched, UpdateVerdict verdict, ObjectComparison r) => new(
        original, patched, verdict, r.Changed, r.New, r.Removed, r.Unsafe, r.LineOnly, r.Carried, r.FunctionCount,
        r.Details.Select(d => new Detail(d.Symbol, d.Kind, d.Status, d.OriginalName, d.PatchedName, d.Reason)).ToList());

    internal sealed record Detail(string Symbol, string Kind, string Status, string? Original, string? Patched, string? Reason);
}
