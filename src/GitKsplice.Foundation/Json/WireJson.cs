using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace GitKsplice.Json;

/// <summary>
/// The shape of every JSON file people and scripts read and of every --json output: camelCase, indented, times as
/// <see cref="WireTime"/>. Each project's serializer context takes these generation options; this one writes a
/// JSON tree as it is.
/// </summary>
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, Converters = [typeof(WireTimeConverter)])]
[JsonSerializable(typeof(JsonNode))]
public sealed partial class WireJsonContext : JsonSerializerContext
{
    private static WireJsonContext? s_relaxed;

    /// <summary>The generated options with <see cref="WireJson.Relaxed"/>'s encoder.</summary>
    public static WireJsonContext Relaxed => s_relaxed ??= new(WireJson.Relaxed(Default.Options));
}

public static class WireJson
{
    /// <summary>
    /// A context's generated options plus the relaxed encoder, which the attribute cannot name: non-ASCII text and
    /// &lt;, &gt;, &amp;, ' are written as they are, as people expect to read them. Call it on first use, once the
    /// generated Default (a static of the other half of the partial context) surely exists.
    /// </summary>
    public static JsonSerializerOptions Relaxed(JsonSerializerOptions generated) =>
        new(generated) { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
