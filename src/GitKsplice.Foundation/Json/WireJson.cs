using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace GitKsplice.Json;

/// <summary>
/// The shape of every JSON file people and scripts read and of every --json output: camelCase, indented, times as
/// <see cref="WireTime"/>, enum values by their <see cref="WireTable{T}"/>. Each project's serializer context takes
/// these generation options (camelCase, indented, <see cref="WireTimeConverter"/>) and the relaxed encoder below.
/// </summary>
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

/// <summary>
/// Writes an enum value by its name in <paramref name="table"/> and reads only those names. A context lists one
/// subclass per enum (the subclass gives the table, as a converter named in an attribute has no arguments).
/// </summary>
public abstract class WireTableConverter<T>(WireTable<T> table) : JsonConverter<T> where T : struct, Enum
{
    public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        table.Parse(reader.GetString()) ?? throw new JsonException($"unknown {typeof(T).Name} '{reader.GetString()}'");

    public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options) => writer.WriteStringValue(table[value]);
}
