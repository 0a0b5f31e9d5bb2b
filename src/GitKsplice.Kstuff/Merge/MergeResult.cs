using GitKsplice.Kstuff.Config;

namespace GitKsplice.Kstuff.Merge;

/// <summary>What the merge did with one driver; the rule of the man page it followed.</summary>
public enum DriverFate
{
    /// <summary>Only in the target, hardware: kept as the target has it.</summary>
    TargetOnlyKept,
    /// <summary>Only in the target, not hardware: left out.</summary>
    TargetOnlyDropped,
    /// <summary>In both: Master and Node from the source (majors and cpu from the target), System from the target.</summary>
    Merged,
    /// <summary>In both, hardware, stubbed out in the source but configured in the target: taken whole from the target.</summary>
    TakenFromTarget,
    /// <summary>Only in the source and incorporated (kerntp, required, or named by -n/-Y/-N).</summary>
    SourceOnlyIncluded,
    /// <summary>Only in the source and not asked for: left out.</summary>
    SourceOnlyLeftOut,
    /// <summary>Only in the source, asked for, but no free range of majors exists: left out with a warning.</summary>
    SourceOnlyNoMajors,
}

/// <summary>The merge's words on the wire (--json, the listing).</summary>
public static class MergeNames
{
    public static readonly Json.WireTable<DriverFate> Fates = new(
        (DriverFate.TargetOnlyKept, "target-only-kept"),
        (DriverFate.TargetOnlyDropped, "target-only-dropped"),
        (DriverFate.Merged, "merged"),
        (DriverFate.TakenFromTarget, "taken-from-target"),
        (DriverFate.SourceOnlyIncluded, "source-only-included"),
        (DriverFate.SourceOnlyLeftOut, "source-only-left-out"),
        (DriverFate.SourceOnlyNoMajors, "source-only-no-majors"));
}

/// <summary>A change of a driver's majors made by the merge: from the target (in both) or a remap (source only).</summary>
public sealed record MajorChange(char Type, MajorRange From, MajorRange To);

/// <summary>One driver's outcome. <see cref="SourceName"/> differs from <see cref="Name"/> when -r renamed it.</summary>
public sealed record DriverDecision(string Name, string? SourceName, DriverFate Fate, string Reason,
    IReadOnlyList<MajorChange> MajorChanges)
{
    /// <summary>In the merged tree.</summary>
    public bool Incorporated => Fate is DriverFate.TargetOnlyKept or DriverFate.Merged or DriverFate.TakenFromTarget or DriverFate.SourceOnlyIncluded;
}

/// <summary>A WARNING of the man page (a keep driver's majors change, a driver left out), about one driver or none.</summary>
public sealed record MergeWarning(string? Driver, string Message)
{
    public override string ToString() => Driver == null ? Message : $"{Driver}: {Message}";
}

/// <summary>The merged tree, one decision per driver seen (sorted by name), and the warnings in the order raised.</summary>
public sealed record MergeResult(ConfigTree Merged, IReadOnlyList<DriverDecision> Decisions, IReadOnlyList<MergeWarning> Warnings)
{
    /// <summary>Source-only drivers now in the merged tree: their device nodes need idmknod on the target.</summary>
    public IEnumerable<string> SourceOnlyIncluded =>
        Decisions.Where(d => d.Fate == DriverFate.SourceOnlyIncluded).Select(d => d.Name);
}
