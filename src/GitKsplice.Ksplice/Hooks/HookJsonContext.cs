using System.Text.Json.Serialization;
using GitKsplice.Json;

namespace GitKsplice.Hooks;

/// <summary>The hook job's files (request, running job, outcome), in the wire shape of <see cref="WireJson"/>.</summary>
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, Converters = [typeof(WireTimeConverter)])]
[JsonSerializable(typeof(JobRequest))]
[JsonSerializable(typeof(RunningJob))]
[JsonSerializable(typeof(JobOutcome))]
public sealed partial class HookJsonContext : JsonSerializerContext
{
    private static HookJsonContext? s_relaxed;

    /// <summary>The generated options with the relaxed encoder (<see cref="WireJson.Relaxed"/>).</summary>
    public static HookJsonContext Relaxed => s_relaxed ??= new(WireJson.Relaxed(Default.Options));
}
