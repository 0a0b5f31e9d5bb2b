using System.CommandLine;
using System.Text.Json.Nodes;
using GitKsplice.Json;

namespace GitKsplice.Cli;

/// <summary>Options every command shares, with git's meanings.</summary>
internal static class CommonOptions
{
    public static Option<bool> Json() => new("--json") { Description = "Print machine-readable JSON on stdout" };
    public static Option<bool> Quiet() => new("--quiet", "-q") { Description = "Print only errors" };
    public static Option<bool> Verbose() => new("--verbose", "-v") { Description = "Print progress and debugging messages (repeat for more, at most 2)" };

    /// <summary>An output for one command run: -q silences, -v (counted before parsing) adds detail.</summary>
    public static ToolOutput Output(ParseResult parse, Option<bool>? quiet = null)
    {
        var output = ToolOutput.Standard;
        output.Quiet = quiet != null && parse.GetValue(quiet);
        output.Verbosity = Verbosity.Level;
        return output;
    }

    /// <summary>Prints a --json document: indented, in the order it was built, non-ASCII text as it is.</summary>
    public static void WriteJson(JsonNode value) =>
        Console.Out.Write(value.ToJsonString(CoreJsonContext.Relaxed.Options) + "\n");
}

/// <summary>Builds the arrays of --json documents; a tree of JsonNodes needs no reflection, so Native AOT compiles it.</summary>
internal static class JsonArrays
{
    public static JsonArray ToJsonArray(this IEnumerable<string> items) => new(items.Select(i => (JsonNode?)i).ToArray());

    public static JsonArray ToJsonArray<T>(this IEnumerable<T> items, Func<T, JsonNode?> item) => new(items.Select(item).ToArray());
}

/// <summary>
/// -v may be repeated (-v -v or -vv, at most 2), which the parser cannot count: the count is taken from
/// argv before parsing and the extra flags are folded into one.
/// </summary>
internal static class Verbosity
{
    public static int Level { get; private set; }

    public static string[] Fold(string[] args)
    {
        var rest = new List<string>();
        var count = 0;
        for (var i = 0; i < args.Length; i++)
        {
            var a = args[i];
            if (a == "--") { rest.AddRange(args[i..]); break; }
            var flags = a is "--verbose" or "-v" ? 1 : a.Length > 2 && a[0] == '-' && a.Skip(1).All(c => c == 'v') ? a.Length - 1 : 0;
            if (flags == 0) { rest.Add(a); continue; }
            if (count == 0) rest.Add("-v");
            count += flags;
        }
        Level = Math.Min(count, 2);
        return rest.ToArray();
    }
}

/// <summary>
/// Block-buffered stdout for the commands that print a line per update or bundle: .NET flushes Console.Out
/// on every line, a write per line that costs more than building the line. Restored (and flushed) on dispose.
/// </summary>
internal sealed class BufferedStdout : IDisposable
{
    private readonly TextWriter _original = Console.Out;
    private readonly StreamWriter _buffered;

    public BufferedStdout()
    {
        _buffered = new StreamWriter(Console.OpenStandardOutput(), new System.Text.UTF8Encoding(false), 1 << 16) { AutoFlush = false };
        Console.SetOut(_buffered);
    }

    public void Dispose()
    {
        _buffered.Flush();
        Console.SetOut(_original);
    }
}
