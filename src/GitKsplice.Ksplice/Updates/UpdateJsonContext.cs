using System.Text.Json.Serialization;
using GitKsplice.Json;

namespace GitKsplice.Updates;

/// <summary>
/// An update's files that people and scripts read (manifest.json, the pending record), in the wire shape of
/// <see cref="WireJson"/>. Generated at build time, so the tools need no reflection and run under Native AOT.
/// </summary>
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, Converters = [typeof(WireTimeConverter), typeof(UpdateIdConverter)])]
[JsonSerializable(typeof(Manifest))]
[JsonSerializable(typeof(PendingRecord))]
public sealed partial class UpdateJsonContext : JsonSerializerContext
{
    private static UpdateJsonContext? s_relaxed;

    /// <summary>The generated options with the relaxed encoder (<see cref="WireJson.Relaxed"/>).</summary>
    public static UpdateJsonContext Relaxed => s_relaxed ??= new(WireJson.Relaxed(Default.Options));
}
