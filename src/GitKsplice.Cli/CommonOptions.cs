using System.CommandLine;

namespace GitKsplice.Cli;

/// <summary>Options every command shares, with git's meanings; the runner reads --quiet and -v for the command's output.</summary>
public static class CommonOptions
{
    public static Option<bool> Json() => new("--json") { Description = "Print machine-readable JSON on stdout" };
    public static Option<bool> Quiet() => new("--quiet", "-q") { Description = "Print only errors" };
    public static Option<bool> Verbose() => new("--verbose", "-v") { Description = "Print progress and debugging messages (repeat for more, at most 2)" };
}

/// <summary>
/// -v may be repeated (-v -v or -vv, at most 2), which the parser cannot count: the count is taken from
/// argv before parsing and the extra flags are folded into one.
/// </summary>
internal static class Verbosity
{
    public static (string[] Words, int Level) Fold(string[] args)
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
        return (rest.ToArray(), Math.Min(count, 2));
    }
}
