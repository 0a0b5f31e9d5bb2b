using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace GitKsplice.Json;

/// <summary>
/// The one table from an enum's values to the names written in --json and notes. Every value has exactly one
/// name, checked when the table is made, so a new value cannot reach the output under its C# name by accident.
/// </summary>
public sealed class WireTable<T> where T : struct, Enum
{
    private readonly Dictionary<T, string> _names = [];
    private readonly Dictionary<string, T> _values = new(StringComparer.Ordinal);

    public WireTable(params (T Value, string Name)[] rows)
    {
        foreach (var (value, name) in rows)
            if (!_names.TryAdd(value, name) || !_values.TryAdd(name, value))
                throw new ArgumentException($"{typeof(T).Name}: '{value}' or '{name}' named twice", nameof(rows));
        var missing = Enum.GetValues<T>().Where(v => !_names.ContainsKey(v)).ToList();
        if (missing.Count > 0) throw new ArgumentException($"{typeof(T).Name}: no wire name for {string.Join(", ", missing)}", nameof(rows));
    }

    public string this[T value] => _names[value];

    /// <summary>The value written as <paramref name="name"/>, or null for a name the table does not have.</summary>
    public T? Parse(string? name) => name != null && _values.TryGetValue(name, out var value) ? value : null;

    public IEnumerable<string> Names => _values.Keys;
}

/// <summary>Times on the wire: UTC, to the second, ending in Z (2026-11-26T14:12:21Z), in --json and in notes alike.</summary>
public static class WireTime
{
    public static string Format(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>A time written by <see cref="Format"/> (or with fractions or an offset, as older notes have); null when unreadable.</summary>
    public static DateTimeOffset? Parse(string? text) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time) ? time : null;
}

/// <summary>Writes every serialized time as <see cref="WireTime"/> does; reads that form and any ISO 8601 time.</summary>
public sealed class WireTimeConverter : JsonConverter<DateTimeOffset>
{
    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        WireTime.Parse(reader.GetString()) ?? throw new JsonException("not a time: " + reader.GetString());

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) =>
        writer.WriteStringValue(WireTime.Format(value));
}
