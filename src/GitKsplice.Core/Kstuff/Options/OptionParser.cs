using System.Text.RegularExpressions;
using GitKsplice.Cli;
using GitKsplice.Kstuff.Targets;

namespace GitKsplice.Kstuff.Options;

/// <summary>One word of options with the place it was read from.</summary>
public sealed record OptionWord(string Text, OptionOrigin Origin);

/// <summary>
/// Reads kstuff(1) options the way getopt does (bundled letters "-bqK", "-cfile" or "-c file"),
/// applied in order so that later options defeat earlier ones as the man page says.
/// </summary>
public static partial class OptionParser
{
    /// <summary>The single-letter options that take an argument.</summary>
    private const string WithArgument = "cdnNYrt";
    private const string Flags = "BFIKMQRSTbiqv#";

    public static KstuffOptions Parse(IEnumerable<OptionWord> words)
    {
        var options = new KstuffOptions();
        Apply(options, words);
        return options;
    }

    public static void Apply(KstuffOptions options, IEnumerable<OptionWord> words)
    {
        using var e = words.GetEnumerator();
        var operandsOnly = false;
        while (e.MoveNext())
        {
            var (text, origin) = e.Current;
            if (operandsOnly || text.Length < 2 || text[0] != '-')
            {
                SetHost(options, text, origin);
                continue;
            }
            if (text == "--") { operandsOnly = true; continue; }
            if (text.StartsWith("--", StringComparison.Ordinal))
            {
                LongOption(options, text, origin, e);
                continue;
            }
            for (var i = 1; i < text.Length; i++)
            {
                var letter = text[i];
                if (WithArgument.Contains(letter))
                {
                    string value;
                    if (i + 1 < text.Length) value = text[(i + 1)..];
                    else if (e.MoveNext()) value = e.Current.Text;
                    else throw new UserError($"{origin}: option -{letter} needs an argument");
                    Argument(options, letter, value, origin);
                    break;
                }
                if (!Flags.Contains(letter))
                    throw new UserError($"{origin}: unknown option -{Printable(letter)} (see 'git kstuff -h')");
                Flag(options, letter);
            }
        }
    }

    private static void LongOption(KstuffOptions options, string text, OptionOrigin origin, IEnumerator<OptionWord> e)
    {
        var eq = text.IndexOf('=');
        var name = eq < 0 ? text : text[..eq];
        if (name != "--target-root")
            throw new UserError($"{origin}: unknown option {name} (see 'git kstuff -h')");
        string value;
        if (eq >= 0) value = text[(eq + 1)..];
        else if (e.MoveNext()) value = e.Current.Text;
        else throw new UserError($"{origin}: option {name} needs a directory");
        if (value.Length == 0) throw new UserError($"{origin}: option {name} needs a directory");
        options.TargetRoot = value;
    }

    private static void Flag(KstuffOptions o, char letter)
    {
        switch (letter)
        {
            case 'B':
                o.Mode = DeliveryMode.Normal;
                o.ForceBundle = o.KeepTemporaries = o.Static = o.IncludeIdtools = o.IdbuildDebug = false;
                break;
            case 'F': o.ForceBundle = true; break;
            case 'I': o.Mode = DeliveryMode.BuildOnly; break;
            case 'K': o.KeepTemporaries = true; break;
            case 'M': o.Mode = DeliveryMode.MergeOnly; break;
            case 'Q': o.Mode = DeliveryMode.Quick; break;
            case 'R':
                o.Drivers.Clear();
                o.Command = null;
                o.RenameFile = null;
                break;
            case 'S': o.Static = true; break;
            case 'T': o.IncludeIdtools = true; break;
            case 'b': o.Batch = true; break;
            case 'i': o.Batch = false; break;
            case 'q': o.Quiet = true; break;
            case 'v': o.Quiet = false; break;
            case '#': o.IdbuildDebug = true; break;
        }
    }

    private static void Argument(KstuffOptions o, char letter, string value, OptionOrigin origin)
    {
        if (value.Length == 0) throw new UserError($"{origin}: option -{letter} needs a non-empty argument");
        switch (letter)
        {
            case 'c': o.Command = value; break;
            case 'd': o.Databases.Add(value); break;
            case 'r': o.RenameFile = value; break;
            case 't':
                try { o.MergeWith = TargetAddress.CheckKname(value)!; }
                catch (UserError e) { throw new UserError($"{origin}: -t: {e.Message}"); }
                break;
            default:
                var request = letter switch { 'n' => DriverRequest.Include, 'Y' => DriverRequest.Activate, _ => DriverRequest.Stub };
                o.Drivers.Remove(CheckDriver(value, letter, origin));
                o.Drivers[value] = request;
                break;
        }
    }

    /// <summary>A driver name is a file name in mdevice.d and pack.d: never a path, an option or a shell word.</summary>
    public static string CheckDriver(string name, char option, OptionOrigin origin)
    {
        if (!DriverName().IsMatch(name))
            throw new UserError($"{origin}: bad driver name '{Printable(name)}' for -{option}: use letters, digits and '_' (at most 32, starting with a letter or '_')");
        return name;
    }

    private static void SetHost(KstuffOptions o, string text, OptionOrigin origin)
    {
        if (o.Host != null && origin == OptionOrigin.CommandLine && o.HostFromCommandLine)
            throw new UserError($"more than one target: '{o.Host}' and '{Printable(text)}'");
        o.Host = text;
        o.HostFromCommandLine = origin == OptionOrigin.CommandLine;
    }

    private static string Printable(char c) => char.IsControl(c) ? $"\\x{(int)c:x2}" : c.ToString();
    private static string Printable(string s) => Regex.Replace(s, @"\p{Cc}", "?");

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_]{0,31}$")]
    private static partial Regex DriverName();
}
