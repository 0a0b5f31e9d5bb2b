using System.CommandLine;
using System.Text.Encodings.Web;
using System.Text.Json;
using GitKsplice.Analysis;
using GitKsplice.Reporting;

namespace GitKsplice.Cli.Commands;

/// <summary>
/// git ksplice diff-objects: plumbing that compares two objects of one translation unit and classifies what the
/// change did, function by function. The exit code is the verdict: 0 patchable, 2 unsafe, 3 no functional change.
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
            if (parse.GetValue(json)) WriteJson(context.Out, o!, p!, result);
            else WriteText(context.Out, result);
            return Verdict(result);
        });
        return command;
    }

    public static int Verdict(ObjectComparison result) =>
        result.Unsafe.Count > 0 ? ExitCodes.Unsafe
        : result.HasFunctionalChange ? ExitCodes.Success
        : ExitCodes.NoChange;

    private static string VerdictName(ObjectComparison result) => Verdict(result) switch
    {
        ExitCodes.Unsafe => "unsafe",
        ExitCodes.NoChange => "no-change",
        _ => "patchable",
    };

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

    private static void WriteJson(TextWriter output, string original, string patched, ObjectComparison result)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteString("original", original == Absent ? null : original);
            w.WriteString("patched", patched == Absent ? null : patched);
            w.WriteString("verdict", VerdictName(result));
            Strings(w, "changed", result.Changed);
            Strings(w, "new", result.New);
            Strings(w, "removed", result.Removed);
            w.WriteStartArray("unsafe");
            foreach (var u in result.Unsafe)
            {
                w.WriteStartObject();
                w.WriteString("kind", u.Kind);
                w.WriteString("symbol", u.Symbol);
                w.WriteString("reason", u.Reason);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("lineOnly");
            foreach (var l in result.LineOnly)
            {
                w.WriteStartObject();
                w.WriteString("symbol", l.Symbol);
                w.WriteString("reason", l.Reason);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("carried");
            foreach (var c in result.Carried)
            {
                w.WriteStartObject();
                w.WriteString("function", c.Function);
                Strings(w, "functions", c.Functions);
                Strings(w, "data", c.Data);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteNumber("functionCount", result.FunctionCount);
            w.WriteStartArray("details");
            foreach (var d in result.Details)
            {
                w.WriteStartObject();
                w.WriteString("symbol", d.Symbol);
                w.WriteString("kind", d.Kind);
                w.WriteString("status", d.Status);
                w.WriteString("original", d.OriginalName);
                w.WriteString("patched", d.PatchedName);
                w.WriteString("reason", d.Reason);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        output.Write(System.Text.Encoding.UTF8.GetString(buffer.ToArray()) + "\n");
    }

    private static void Strings(Utf8JsonWriter w, string name, IReadOnlyList<string> values)
    {
        w.WriteStartArray(name);
        foreach (var v in values) w.WriteStringValue(v);
        w.WriteEndArray();
    }
}
