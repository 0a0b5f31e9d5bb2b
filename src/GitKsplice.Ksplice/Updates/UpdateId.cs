using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using GitKsplice.Reporting;

namespace GitKsplice.Updates;

/// <summary>
/// An update's id: 1 to 47 letters, digits, '-' and '_', so it is safe in a ref name, a file name and a
/// kernel module name (ksplice_&lt;id&gt;, which the kernel allows 55 bytes: MODULE_NAME_LEN less its NUL). Parsed
/// once where it comes in: the command line (a bad one is a usage error), a ref name or a note (a bad one is no
/// update's, and skipped), a manifest (a bad one is the manifest's error, <see cref="UpdateIdConverter"/>). A
/// target's livepatch modules are matched to the recorded ids by the module name each id gives.
/// </summary>
public readonly record struct UpdateId
{
    private const int MaxLength = 47;
    private const string NewIdAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789";

    public string Value { get; }

    private UpdateId(string value) => Value = value;

    /// <summary>The id, or a usage error (exit 129) naming it.</summary>
    public static UpdateId Parse(string text) =>
        TryParse(text, out var id) ? id
            : throw new UserError($"bad update id '{text}': use 1 to {MaxLength} letters, digits, '-' and '_'", ExitCodes.Usage);

    public static bool TryParse(string? text, out UpdateId id)
    {
        id = default;
        if (string.IsNullOrEmpty(text) || text.Length > MaxLength || !text.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            return false;
        id = new UpdateId(text);
        return true;
    }

    /// <summary>The texts that are update ids, as ids; the others are skipped (names read from a note).</summary>
    public static IReadOnlyList<UpdateId> Valid(IEnumerable<string> texts)
    {
        var ids = new List<UpdateId>();
        foreach (var text in texts)
            if (TryParse(text, out var id)) ids.Add(id);
        return ids;
    }

    /// <summary>8 random characters [a-z0-9], the default of create.</summary>
    public static UpdateId New() =>
        new(new string(Enumerable.Range(0, 8).Select(_ => NewIdAlphabet[RandomNumberGenerator.GetInt32(NewIdAlphabet.Length)]).ToArray()));

    public override string ToString() => Value;
}

/// <summary>
/// An <see cref="UpdateId"/> in JSON: its string, so the files and --json read as before. Reading a string that is
/// not an update id fails with <see cref="BadUpdateIdException"/>, whose message is what <see cref="ManifestCheck"/> says.
/// </summary>
public sealed class UpdateIdConverter : JsonConverter<UpdateId>
{
    public override UpdateId Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        // Another token fails as it did when ids were read as strings.
        var text = reader.TokenType is JsonTokenType.String or JsonTokenType.Null ? reader.GetString()
            : throw new JsonException($"The JSON value could not be converted to {typeof(string)}.");
        return UpdateId.TryParse(text, out var id) ? id : throw new BadUpdateIdException($"{Quoted.Name(text)} is not an update id");
    }

    public override void Write(Utf8JsonWriter writer, UpdateId value, JsonSerializerOptions options) => writer.WriteStringValue(value.Value);
}

/// <summary>A string read as an update id that is not one: a value a manifest cannot have, not a broken shape.</summary>
public sealed class BadUpdateIdException(string message) : JsonException(message);
