using System.Text.Json.Serialization;
using GitKsplice.Json;
using GitKsplice.Kstuff.Bundles;
using GitKsplice.Kstuff.Delivery;
using GitKsplice.Kstuff.Merge;

namespace GitKsplice.Cli.Commands;

/// <summary>The --json of a bundle's note, whichever command prints it (bundle, bundles).</summary>
internal sealed record BundleJson(string Path, string Sha256, long Size, DateTimeOffset Time, string Root, string Mach, bool Idtools,
    int Files, IReadOnlyList<string> Drivers)
{
    public static BundleJson Of(BundleNote note) =>
        new(note.Path, note.Sha256, note.Size, note.Time, note.Root, note.Mach, note.Idtools, note.Files, note.Drivers);
}

/// <summary>bundles --json: one per noted bundle, the commit it is noted on and whether the file is still its bytes.</summary>
internal sealed record NotedBundleJson(string Commit, BundleFileState State, BundleJson Bundle);

/// <summary>log --json: one per recorded delivery.</summary>
internal sealed record DeliveryJson(string Commit, string? Bundle, string Target, string Kname, DeliveryMode Mode, DateTimeOffset Time,
    bool Ok, DeliveryResult Result, DeliveryStep? FailedStep, string? Error, IReadOnlyList<string>? Drivers)
{
    public static DeliveryJson Of(NotedDelivery d) => new(d.Commit, d.Bundle, d.Record.Target, d.Record.Kname, d.Record.Mode, d.Record.Time,
        d.Record.Succeeded, d.Record.Result, d.Record.FailedStep, d.Record.Error, d.Record.Drivers);
}

/// <summary>
/// The --json reports of git kstuff, one record per command (beside its command, the shared ones above), in the
/// wire shape of <see cref="WireJson"/>: every time by <see cref="WireTimeConverter"/>, every enum by its wire
/// table. GoldenJsonTests pins them.
/// </summary>
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    Converters = [typeof(WireTimeConverter), typeof(BundleOutcomeWire), typeof(BundleFileStateWire), typeof(DeliveryModeWire),
        typeof(DeliveryResultWire), typeof(DeliveryStepWire), typeof(DriverFateWire)])]
[JsonSerializable(typeof(BundleCommandJson))]
[JsonSerializable(typeof(IReadOnlyList<NotedBundleJson>))]
[JsonSerializable(typeof(IReadOnlyList<DeliveryJson>))]
[JsonSerializable(typeof(MergeJson))]
internal sealed partial class KstuffJsonContext : JsonSerializerContext
{
    private static KstuffJsonContext? s_relaxed;

    /// <summary>The generated options with the relaxed encoder (<see cref="WireJson.Relaxed"/>).</summary>
    public static KstuffJsonContext Relaxed => s_relaxed ??= new(WireJson.Relaxed(Default.Options));
}

internal sealed class BundleOutcomeWire() : WireTableConverter<BundleOutcome>(BundleNames.Outcomes);

internal sealed class BundleFileStateWire() : WireTableConverter<BundleFileState>(BundleNames.States);

internal sealed class DeliveryModeWire() : WireTableConverter<DeliveryMode>(DeliveryNames.Modes);

internal sealed class DeliveryResultWire() : WireTableConverter<DeliveryResult>(DeliveryNames.Results);

internal sealed class DeliveryStepWire() : WireTableConverter<DeliveryStep>(DeliveryNames.Steps);

internal sealed class DriverFateWire() : WireTableConverter<DriverFate>(MergeNames.Fates);
