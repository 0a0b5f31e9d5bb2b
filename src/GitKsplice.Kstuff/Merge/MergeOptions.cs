namespace GitKsplice.Kstuff.Merge;

/// <summary>How a driver named by -n, -Y or -N is stuffed into the target.</summary>
public enum StuffMode
{
    /// <summary>-n: include it, System file as it is.</summary>
    Include,
    /// <summary>-Y: include it, every N in its System file changed to Y.</summary>
    Configure,
    /// <summary>-N: include it, every Y in its System file changed to N.</summary>
    StubOut,
}

/// <summary>Major numbers of the device nodes present under /dev on the target.</summary>
public sealed record DeviceMajors(IReadOnlySet<int> Block, IReadOnlySet<int> Character)
{
    public static DeviceMajors None { get; } = new(new HashSet<int>(), new HashSet<int>());
}

/// <summary>The choices of one merge; every member has a harmless default.</summary>
public sealed record MergeOptions
{
    /// <summary>
    /// Drivers named by -n, -Y and -N, by source name or merged name (one mode each: the option parser
    /// keeps the last one given, and -R empties this).
    /// </summary>
    public IReadOnlyDictionary<string, StuffMode> Stuff { get; init; } = new Dictionary<string, StuffMode>();

    /// <summary>-r: source driver name → the target driver name it becomes in the merged tree.</summary>
    public IReadOnlyDictionary<string, string> Renames { get; init; } = new Dictionary<string, string>();

    /// <summary>Majors of the nodes under /dev on the target: a source-only driver must not take them.</summary>
    public DeviceMajors DevMajors { get; init; } = DeviceMajors.None;

    /// <summary>Highest major number a remapped driver may be given.</summary>
    public int MaxMajor { get; init; } = 255;
}
