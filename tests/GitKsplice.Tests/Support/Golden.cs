using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace GitKsplice.Tests.Support;

/// <summary>
/// The one golden mechanism: a command's whole output, normalised, against a file under the test's folder
/// (Golden/&lt;name&gt;), as git pins its porcelain formats. Normalising replaces only what differs from run to run
/// (the temporary world's paths, commits, hashes, times, and the numbers and machine facts a test names), each by a
/// placeholder that still shows the value's shape. A changed output is a decision: GIT_KSPLICE_UPDATE_GOLDEN=1
/// rewrites the files, and the diff shows it.
/// </summary>
public static partial class Golden
{
    private static bool Updating => Environment.GetEnvironmentVariable("GIT_KSPLICE_UPDATE_GOLDEN") == "1";

    /// <summary>
    /// Checks each output against its file in the Golden folder beside the calling test, all before failing, so
    /// one run names every output that changed (and one update run rewrites them all).
    /// </summary>
    public static void Check(IEnumerable<(string File, string Normalised)> outputs, [CallerFilePath] string caller = "")
    {
        var failures = new List<string>();
        foreach (var (file, actual) in outputs)
        {
            var path = Path.Combine(Path.GetDirectoryName(caller)!, "Golden", file);
            if (Updating) File.WriteAllText(path, actual);
            var expected = File.Exists(path) ? File.ReadAllText(path).ReplaceLineEndings("\n") : "(no golden file)";
            if (expected != actual) failures.Add($"{path}:\n{actual}");
        }
        Assert.True(failures.Count == 0, "outputs changed (GIT_KSPLICE_UPDATE_GOLDEN=1 rewrites the golden files):\n" + string.Join("\n", failures));
    }

    /// <summary>One output against Golden/<paramref name="file"/> beside the calling test.</summary>
    public static void Check(string file, string normalised, [CallerFilePath] string caller = "") => Check([(file, normalised)], caller);

    /// <summary>
    /// A JSON output with what differs between runs replaced: each literal of <paramref name="places"/> (longest
    /// first, so a path inside another is not cut) by its placeholder; sha256 hashes, commit ids, wire times, commit
    /// ids cut to 12 digits and dates in messages by &lt;sha256&gt;, &lt;commit&gt;, &lt;time&gt;, &lt;short-commit&gt; and
    /// &lt;date&gt;; and the value of each field in <paramref name="varying"/>
    /// (a number, a string or a bool, not null) by &lt;field&gt;.
    /// </summary>
    public static string Normalise(string json, IEnumerable<(string Literal, string Placeholder)> places, params string[] varying)
    {
        var text = json.ReplaceLineEndings("\n");
        foreach (var (literal, placeholder) in places.OrderByDescending(p => p.Literal.Length))
            text = text.Replace(literal, placeholder);
        text = Sha256().Replace(text, "<sha256>");
        text = CommitId().Replace(text, "<commit>");
        text = WireTime().Replace(text, "\"<time>\"");
        text = ShortCommitId().Replace(text, "<short-commit>");
        text = Date().Replace(text, "<date>");
        foreach (var field in varying)
            text = Regex.Replace(text, $"\"{Regex.Escape(field)}\": (?!null)(\"(?:[^\"\\\\]|\\\\.)*\"|-?[0-9.eE+-]+|true|false)", $"\"{field}\": <{field}>");
        return text;
    }

    /// <summary>
    /// The schema of a JSON output, for an output no run here can make whole (a live kernel's): one line per key path
    /// with the kinds of value seen there, in document order; array items under "[]".
    /// </summary>
    public static string Schema(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var lines = new List<string>();
        var kinds = new Dictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        Walk(doc.RootElement, "$");
        return string.Join("\n", lines.Select(path => $"{path}: {string.Join(" | ", kinds[path])}")) + "\n";

        void Walk(JsonElement element, string path)
        {
            if (!kinds.TryGetValue(path, out var seen))
            {
                kinds[path] = seen = new SortedSet<string>(StringComparer.Ordinal);
                lines.Add(path);
            }
            seen.Add(Kind(element));
            if (element.ValueKind == JsonValueKind.Object)
                foreach (var property in element.EnumerateObject()) Walk(property.Value, $"{path}.{property.Name}");
            else if (element.ValueKind == JsonValueKind.Array)
                foreach (var item in element.EnumerateArray()) Walk(item, path + "[]");
        }
    }

    private static string Kind(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => "object",
        JsonValueKind.Array => "array",
        JsonValueKind.Number => "number",
        JsonValueKind.True or JsonValueKind.False => "bool",
        JsonValueKind.Null => "null",
        _ => element.GetString() switch
        {
            { Length: 40 } s when s.All(Uri.IsHexDigit) => "commit-id",
            { Length: 64 } s when s.All(Uri.IsHexDigit) => "sha256",
            { } s when UtcTime().IsMatch(s) => "utc-time",
            { } s when s.StartsWith('/') => "path",
            _ => "string",
        },
    };

    [GeneratedRegex("\\b[0-9a-f]{64}\\b")]
    private static partial Regex Sha256();

    [GeneratedRegex("\\b[0-9a-f]{40}\\b")]
    private static partial Regex CommitId();

    [GeneratedRegex(@"""\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ""")]
    private static partial Regex WireTime();

    [GeneratedRegex("\\b[0-9a-f]{12}\\b")]
    private static partial Regex ShortCommitId();

    [GeneratedRegex(@"\b\d{4}-\d\d-\d\d\b")]
    private static partial Regex Date();

    [GeneratedRegex(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")]
    private static partial Regex UtcTime();
}
