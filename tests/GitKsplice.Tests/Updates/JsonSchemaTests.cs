using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using GitKsplice.Tests.Support;
using GitKsplice.Updates;
using static GitKsplice.Tests.Hooks.HookTestSupport;

namespace GitKsplice.Tests.Updates;

/// <summary>
/// Every --json output of git ksplice (diff-objects apart) and the tarball's manifest.json, pinned as git pins
/// its porcelain formats: each key in order, with the kind of its value (a commit id, a UTC timestamp ending
/// in Z, an absolute path, a string, a number…), against a golden file under Updates/Golden. A changed
/// schema is a decision: GIT_KSPLICE_UPDATE_GOLDEN=1 rewrites the files, and the diff shows it.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public partial class JsonSchemaTests
{
    [RequiresFact(Tool.Gcc, Tool.Make)]
    public void The_json_of_every_command_and_the_manifest_keep_their_schema()
    {
        using var repo = CTree.Create();
        InstallHooks(repo, "sync");
        SafeChange(repo, "checked by the hook");
        var commit = SafeChange(repo, "fix greeting", " + 2");

        var outputs = new List<(string Name, string Json)>();
        void Run(string name, params string[] args)
        {
            var r = repo.Ksplice(args);
            Assert.True(r.ExitCode == 0, $"git ksplice {string.Join(' ', args)}: {r.All}");
            outputs.Add((name, r.StdOut));
        }
        Run("create", "create", "--json", "--series", "--id", "golden1", commit);
        outputs.Add(("manifest", Encoding.UTF8.GetString(UpdateArchive.ReadAll(repo.Path("ksplice-golden1.tar.gz"))["manifest.json"])));
        Run("show", "show", "--json", "golden1");
        Run("list", "list", "--json");
        Run("series", "series", "--json");
        Run("series-log", "series", "log", "--json");
        Run("status", "status", "--json");
        Run("hooks-status", "hooks", "status", "--json");
        Run("gc", "gc", "--json", "--dry-run", "--max-age", "now");
        // This machine's kernel: the Linux tests pin view, apply and undo on a kernel with livepatches.
        Run("view", "view", "--json");

        var failures = new List<string>();
        foreach (var (name, json) in outputs)
        {
            var schema = Schema(json);
            var golden = GoldenPath(name);
            if (Environment.GetEnvironmentVariable("GIT_KSPLICE_UPDATE_GOLDEN") == "1") File.WriteAllText(golden, schema);
            var expected = File.Exists(golden) ? File.ReadAllText(golden) : "(no golden file)";
            if (expected != schema) failures.Add($"{name} ({golden}):\n{schema}");
        }
        Assert.True(failures.Count == 0, "schemas changed:\n" + string.Join("\n", failures));
    }

    private static string GoldenPath(string name, [CallerFilePath] string here = "") =>
        Path.Combine(Path.GetDirectoryName(here)!, "Golden", name + ".schema");

    /// <summary>One line per key path with the kinds of value seen there, in document order; array items under "[]".</summary>
    internal static string Schema(string json)
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
            { } s when UtcTimestamp().IsMatch(s) => "utc-time",
            { } s when s.StartsWith('/') => "path",
            _ => "string",
        },
    };

    [GeneratedRegex(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")]
    private static partial Regex UtcTimestamp();
}
