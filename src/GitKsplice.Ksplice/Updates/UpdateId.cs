using System.Security.Cryptography;
using GitKsplice.Reporting;

namespace GitKsplice.Updates;

/// <summary>
/// An update's id: 1 to 47 letters, digits, '-' and '_', so it is safe in a ref name, a file name and a
/// kernel module name (ksplice_&lt;id&gt;, which the kernel allows 55 bytes: MODULE_NAME_LEN less its NUL). Parsed once where it comes in (the command line); a bad one is a usage error.
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

    /// <summary>8 random characters [a-z0-9], the default of create.</summary>
    public static UpdateId New() =>
        new(new string(Enumerable.Range(0, 8).Select(_ => NewIdAlphabet[RandomNumberGenerator.GetInt32(NewIdAlphabet.Length)]).ToArray()));

    public override string ToString() => Value;
}
