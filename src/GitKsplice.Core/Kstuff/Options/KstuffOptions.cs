namespace GitKsplice.Kstuff.Options;

/// <summary>What the delivery does after the target's configuration is known (-B, -I, -M, -Q).</summary>
public enum DeliveryMode
{
    /// <summary>-B: send the bundle, merge, idbuild, install [default].</summary>
    Normal,
    /// <summary>-I: idbuild the tree already on the target and install the kernel; send nothing.</summary>
    BuildOnly,
    /// <summary>-M: send the bundle and merge, but do not idbuild.</summary>
    MergeOnly,
    /// <summary>-Q: send only the changed Driver.o files, then idbuild -KQ.</summary>
    Quick,
}

/// <summary>How a source-only driver named with -n, -Y or -N is stuffed.</summary>
public enum DriverRequest
{
    /// <summary>-n: include it as it is.</summary>
    Include,
    /// <summary>-Y: include it configured in (every N in its System file becomes Y).</summary>
    Activate,
    /// <summary>-N: include it stubbed out (every Y becomes N).</summary>
    Stub,
}

/// <summary>Where an option came from, for error messages: "~/.kstuff.rc:3" or "command line".</summary>
public sealed record OptionOrigin(string Source, int Line = 0)
{
    public override string ToString() => Line > 0 ? $"{Source}:{Line}" : Source;
    public static readonly OptionOrigin CommandLine = new("command line");
}

/// <summary>
/// The options of kstuff(1) after every rc file, git config kstuff.options and the command line
/// were read in that order, the last one winning.
/// </summary>
public sealed class KstuffOptions
{
    public DeliveryMode Mode { get; set; } = DeliveryMode.Normal;
    /// <summary>-F: rebuild the bundle even when it is up to date.</summary>
    public bool ForceBundle { get; set; }
    /// <summary>-T: put the idtools into the bundle.</summary>
    public bool IncludeIdtools { get; set; }
    /// <summary>-K: keep idbuild's temporary files (passed to idbuild).</summary>
    public bool KeepTemporaries { get; set; }
    /// <summary>-S: statically linked kernel (passed to idbuild).</summary>
    public bool Static { get; set; }
    /// <summary>-#: idbuild's debugging output (passed to idbuild).</summary>
    public bool IdbuildDebug { get; set; }
    /// <summary>-b (true) or -i (false, the default).</summary>
    public bool Batch { get; set; }
    /// <summary>-q: only warnings and errors.</summary>
    public bool Quiet { get; set; }
    /// <summary>-c: the file whose command runs on the target between merge and build.</summary>
    public string? Command { get; set; }
    /// <summary>-d: database files, in the order given.</summary>
    public List<string> Databases { get; } = [];
    /// <summary>-n, -Y, -N: source-only drivers to stuff, the last request for a driver winning.</summary>
    public Dictionary<string, DriverRequest> Drivers { get; } = new(StringComparer.Ordinal);
    /// <summary>-r: the driver rename map file.</summary>
    public string? RenameFile { get; set; }
    /// <summary>-t: the kernel whose configuration tree the merge starts from.</summary>
    public string MergeWith { get; set; } = "unix";
    /// <summary>The host[:kname] operand (or local:DIR[:kname]).</summary>
    public string? Host { get; set; }
    /// <summary>--target-root: the target's root directory (on the host, or local without one).</summary>
    public string? TargetRoot { get; set; }

    internal bool HostFromCommandLine { get; set; }
}
