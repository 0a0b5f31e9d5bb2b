using System.Text.Json.Serialization;
using GitKsplice.Hooks;
using GitKsplice.Json;
using GitKsplice.Live;
using GitKsplice.Updates;

namespace GitKsplice.Cli.Commands;

/// <summary>
/// The --json reports of git ksplice, one record per command (beside its command), in the wire shape of
/// <see cref="WireJson"/>: every time by <see cref="WireTimeConverter"/>, every enum by its wire table.
/// Generated at build time, so the tool needs no reflection and runs under Native AOT. The goldens pin them.
/// </summary>
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    Converters = [typeof(WireTimeConverter), typeof(UpdateIdConverter), typeof(UpdateVerdictWire), typeof(TrialResultWire), typeof(LiveResultWire), typeof(HookFileStateWire)])]
[JsonSerializable(typeof(CreateJson))]
[JsonSerializable(typeof(DiffObjectsJson))]
[JsonSerializable(typeof(ShowJson))]
[JsonSerializable(typeof(ShowSummaryJson))]
[JsonSerializable(typeof(IReadOnlyList<ListJson>))]
[JsonSerializable(typeof(SeriesJson))]
[JsonSerializable(typeof(IReadOnlyList<SeriesMoveJson>))]
[JsonSerializable(typeof(StatusJson))]
[JsonSerializable(typeof(HooksStatusJson))]
[JsonSerializable(typeof(GcJson))]
[JsonSerializable(typeof(ApplyJson))]
[JsonSerializable(typeof(UndoJson))]
[JsonSerializable(typeof(ViewJson))]
[JsonSerializable(typeof(TryJson))]
internal sealed partial class KspliceJsonContext : JsonSerializerContext
{
    private static KspliceJsonContext? s_relaxed;

    /// <summary>The generated options with the relaxed encoder (<see cref="WireJson.Relaxed"/>).</summary>
    public static KspliceJsonContext Relaxed => s_relaxed ??= new(WireJson.Relaxed(Default.Options));
}

internal sealed class UpdateVerdictWire() : WireTableConverter<UpdateVerdict>(UpdateVerdicts.Words);

internal sealed class TrialResultWire() : WireTableConverter<TrialResult>(TrialResults.Words);

internal sealed class LiveResultWire() : WireTableConverter<LiveResult>(LiveRecord.Results);

internal sealed class HookFileStateWire() : WireTableConverter<HookFileState>(HookFileStates.Words);
