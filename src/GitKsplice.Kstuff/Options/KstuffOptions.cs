using GitKsplice.Kstuff.Merge;
using GitKsplice.Kstuff.Targets;
using GitKsplice.Reporting;

namespace GitKsplice.Kstuff.Options;

/// <summary>The options of kstuff(1) after parsing, rc files and command line alike.</summary>
public sealed record KstuffOptions
{
    public bool ForceBundle { get; init; }      // -F
    public bool IdbuildOnly { get; init; }      // -I
    public bool KeepTemporaries { get; init; }  // -K
    public bool MergeOnly { get; init; }        // -M
    public bool Quick { get; init; }            // -Q
    public bool Static { get; init; }           // -S
    public bool Idtools { get; init; }          // -T
    public bool DebugIdbuild { get; init; }     // -#
    public bool Batch { get; init; }            // -b (false: -i, interactive, the default)
    public bool Quiet { get; init; }            // -q (false: -v, verbose, the default)
    public IReadOnlyList<string> Commands { get; init; } = [];       // -c
    public IReadOnlyList<string> DatabaseFiles { get; init; } = [];  // -d
    public IReadOnlyDictionary<string, StuffMode> Stuff { get; init; } = new Dictionary<string, StuffMode>(); // -n -N -Y
    public string? RenameFile { get; init; }    // -r
    public string TargetKernel { get; init; } = "unix"; // -t
    public string? Host { get; init; }
    /// <summary>The kname of host:kname; null when not given (the delivery picks unix.&lt;login&gt;).</summary>
    public string? KernelName { get; init; }
    /// <summary>The target operand as written (host[:kname], [v6addr][:kname] or local:DIR[:kname]), for TargetAddress.Parse.</summary>
    public string? TargetOperand { get; init; }
    /// <summary>--target-root DIR: the target's root directory (on the host; without one, a local target).</summary>
    public string? TargetRoot { get; init; }
}

/// <summary>The options of kbundle after parsing.</summary>
public sealed record KbundleOptions
{
    public bool Force { get; init; }    // -F
    public bool Idtools { get; init; }  // -T
    public bool Quick { get; init; }    // -Q: do not build, only say whether the bundle is current
    public IReadOnlyList<string> DatabaseFiles { get; init; } = [];
}

/// <summary>
/// getopt-style parsing of the man page's options: clusters ("-bqK"), an argument attached ("-cfile") or
/// following ("-c file"), "--" ending the options. Options are applied in order, so the last one wins and
/// -B, -R, -b/-i and -q/-v defeat what came before them, as the man page says; parsing the rc files' words
/// first and the command line's after gives the man page's precedence.
/// </summary>
public static class KstuffOptionParser
{
    private const string KstuffFlags = "BFIKMQRSTbiqv#";
    private const string KstuffWithArgument = "cdnNYrt";
    /// <summary>Stands for --target-root in the scan (no letter of its own).</summary>
    private const char TargetRootOption = '\u0001';

    public static KstuffOptions ParseKstuff(IEnumerable<string> words, KstuffOptions? start = null)
    {
        var o = start ?? new KstuffOptions();
        foreach (var (option, argument) in Scan(words, KstuffFlags, KstuffWithArgument, "kstuff"))
        {
            o = option switch
            {
                'B' => o with { ForceBundle = false, IdbuildOnly = false, KeepTemporaries = false, MergeOnly = false, Quick = false, Static = false, Idtools = false, DebugIdbuild = false },
                'F' => o with { ForceBundle = true },
                'I' => o with { IdbuildOnly = true },
                'K' => o with { KeepTemporaries = true },
                'M' => o with { MergeOnly = true },
                'Q' => o with { Quick = true },
                'R' => o with { Stuff = new Dictionary<string, StuffMode>(), Commands = [], RenameFile = null },
                'S' => o with { Static = true },
                'T' => o with { Idtools = true },
                '#' => o with { DebugIdbuild = true },
                'b' => o with { Batch = true },
                'i' => o with { Batch = false },
                'q' => o with { Quiet = true },
                'v' => o with { Quiet = false },
                'c' => o with { Commands = [.. o.Commands, argument!] },
                'd' => o with { DatabaseFiles = [.. o.DatabaseFiles, argument!] },
                'n' => o with { Stuff = With(o.Stuff, argument!, StuffMode.Include) },
                'N' => o with { Stuff = With(o.Stuff, argument!, StuffMode.StubOut) },
                'Y' => o with { Stuff = With(o.Stuff, argument!, StuffMode.Configure) },
                'r' => o with { RenameFile = argument },
                't' => o with { TargetKernel = argument! },
                TargetRootOption => o with { TargetRoot = argument },
                _ => Positional(o, argument!),
            };
        }
        return o;
    }

    /// <param name="words">The words to parse.</param>
    /// <param name="fromRcFile">
    /// The words come from a .kstuff.rc file, which kstuff and kbundle share: options only kstuff knows are
    /// skipped (with their arguments) instead of refused.
    /// </param>
    public static KbundleOptions ParseKbundle(IEnumerable<string> words, bool fromRcFile = false, KbundleOptions? start = null)
    {
        var o = start ?? new KbundleOptions();
        var flags = fromRcFile ? KstuffFlags : "BFQT";
        var withArgument = fromRcFile ? KstuffWithArgument : "d";
        foreach (var (option, argument) in Scan(words, flags, withArgument, "kbundle"))
        {
            o = option switch
            {
                'B' => o with { Force = false, Idtools = false },
                'F' => o with { Force = true },
                'T' => o with { Idtools = true },
                'Q' => o with { Quick = true },
                'd' => o with { DatabaseFiles = [.. o.DatabaseFiles, argument!] },
                '\0' when !fromRcFile => throw new UserError($"kbundle takes no operands: '{argument}'", ExitCodes.Usage),
                _ => o,
            };
        }
        return o;
    }

    private static KstuffOptions Positional(KstuffOptions o, string word)
    {
        if (o.Host != null) throw new UserError($"only one host may be given ('{o.Host}' and '{word}')", ExitCodes.Usage);
        // A local target or an IPv6 address has colons of its own: TargetAddress.Parse reads those.
        if (word.StartsWith("local:", StringComparison.Ordinal) || word.StartsWith('['))
            return o with { Host = word, TargetOperand = word };
        var colon = word.IndexOf(':');
        var host = colon < 0 ? word : word[..colon];
        var kname = colon < 0 ? null : word[(colon + 1)..];
        if (host.Length == 0) throw new UserError($"no host in '{word}'", ExitCodes.Usage);
        if (kname is { Length: 0 }) throw new UserError($"bad kernel name in '{word}'", ExitCodes.Usage);
        // The same check, message and exit status as every other target form.
        return o with { Host = host, KernelName = TargetAddress.CheckKname(kname), TargetOperand = word };
    }

    private static Dictionary<string, StuffMode> With(IReadOnlyDictionary<string, StuffMode> stuff, string driver, StuffMode mode)
    {
        if (driver.Length == 0 || driver.Contains('/')) throw new UserError($"bad driver name '{driver}'", ExitCodes.Usage);
        return new Dictionary<string, StuffMode>(stuff) { [driver] = mode };
    }

    /// <summary>Yields (option, argument) in order; an operand comes as ('\0', word).</summary>
    private static IEnumerable<(char Option, string? Argument)> Scan(IEnumerable<string> words, string flags, string withArgument, string program)
    {
        using var e = words.GetEnumerator();
        bool optionsEnded = false;
        while (e.MoveNext())
        {
            var word = e.Current;
            if (optionsEnded || word.Length < 2 || word[0] != '-')
            {
                yield return ('\0', word);
                continue;
            }
            if (word == "--") { optionsEnded = true; continue; }
            if (program == "kstuff" && (word == "--target-root" || word.StartsWith("--target-root=", StringComparison.Ordinal)))
            {
                var value = word.Length > "--target-root".Length ? word["--target-root=".Length..] : e.MoveNext() ? e.Current : "";
                if (value.Length == 0) throw new UserError("kstuff: option --target-root needs a directory", ExitCodes.Usage);
                yield return (TargetRootOption, value);
                continue;
            }
            for (int i = 1; i < word.Length; i++)
            {
                var c = word[i];
                if (withArgument.Contains(c))
                {
                    string argument;
                    if (i + 1 < word.Length) argument = word[(i + 1)..];
                    else if (e.MoveNext()) argument = e.Current;
                    else throw new UserError($"{program}: option -{c} needs an argument", ExitCodes.Usage);
                    yield return (c, argument);
                    break;
                }
                if (!flags.Contains(c)) throw new UserError($"{program}: unknown option -{c}", ExitCodes.Usage);
                yield return (c, null);
            }
        }
    }
}
