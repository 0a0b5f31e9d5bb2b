using System.Globalization;
using System.Text.RegularExpressions;
using GitKsplice.Processes;

namespace GitKsplice.Settings;

/// <summary>
/// How a git config value is read, by git's own rules, so a value means here what it means to git. Each parser
/// takes one value (null for a key written without "=") and throws <see cref="FormatException"/> saying what is
/// wrong; the settings snapshot names the key.
/// </summary>
public static partial class ConfigValues
{
    /// <summary>A single-valued key: the last value wins, as git config --get gives it.</summary>
    public static Func<IReadOnlyList<string?>, T> Last<T>(Func<string?, T> parse) => values => parse(values[^1]);

    /// <summary>A multi-valued key: every value, in git's order (system, global, local, worktree, command line).</summary>
    public static List<string> Every(IReadOnlyList<string?> values, Func<string?, IEnumerable<string>> parse) => [.. values.SelectMany(parse)];

    /// <summary>
    /// git's booleans: true, yes, on, 1 (any non-zero integer) and a key without a value are true; false, no, off,
    /// 0 and the empty string are false; case does not matter.
    /// </summary>
    public static bool Bool(string? value)
    {
        if (value == null) return true;
        switch (value.Trim().ToLowerInvariant())
        {
            case "true" or "yes" or "on": return true;
            case "false" or "no" or "off" or "": return false;
        }
        try { return Int(value) != 0; }
        catch (FormatException) { throw new FormatException($"'{value}' is not a boolean (true, yes, on, 1 or false, no, off, 0)"); }
    }

    /// <summary>git's integers: decimal, with an optional k, m or g suffix (times 1024, 1024², 1024³).</summary>
    public static long Int(string? value)
    {
        var text = Present(value).Trim();
        long scale = 1;
        if (text.Length > 0 && char.ToLowerInvariant(text[^1]) is var unit && unit is 'k' or 'm' or 'g')
        {
            scale = unit switch { 'k' => 1L << 10, 'm' => 1L << 20, _ => 1L << 30 };
            text = text[..^1];
        }
        if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n))
            throw new FormatException($"'{value}' is not a number");
        try { return checked(n * scale); }
        catch (OverflowException) { throw new FormatException($"'{value}' is out of range"); }
    }

    /// <summary>A count of at least one (parallel jobs).</summary>
    public static int PositiveInt(string? value) =>
        Int(value) is var n and > 0 and <= int.MaxValue ? (int)n : throw new FormatException($"'{value}' is not a positive number");

    /// <summary>A non-empty string, taken as it is.</summary>
    public static string Text(string? value) =>
        Present(value) is { Length: > 0 } text ? text : throw new FormatException("the value is empty");

    /// <summary>A command, split into words as the POSIX shell would; an empty one is refused.</summary>
    public static IReadOnlyList<string> Command(string? value) =>
        PosixShell.SplitWords(Text(value)) is { Count: > 0 } words ? words : throw new FormatException("the command is empty");

    /// <summary>
    /// An age as git's expiry settings (gc.pruneExpire) take it: "30.days", "2.weeks", "2.weeks.ago", "12.hours",
    /// "90" (days), "now" (everything is old enough) or "never" (nothing is).
    /// </summary>
    public static TimeSpan Duration(string? value)
    {
        var text = Present(value).Trim().ToLowerInvariant();
        if (text.EndsWith(".ago", StringComparison.Ordinal)) text = text[..^4];
        if (text == "now") return TimeSpan.Zero;
        if (text == "never") return TimeSpan.MaxValue;
        var match = AgePattern().Match(text);
        if (!match.Success) throw new FormatException($"bad age '{value}': use e.g. 30.days, 2.weeks, 12.hours, now or never");
        var n = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        return match.Groups[2].Value switch
        {
            "" or "d" or "day" or "days" => TimeSpan.FromDays(n),
            "s" or "sec" or "second" or "seconds" => TimeSpan.FromSeconds(n),
            "m" or "min" or "minute" or "minutes" => TimeSpan.FromMinutes(n),
            "h" or "hour" or "hours" => TimeSpan.FromHours(n),
            "w" or "week" or "weeks" => TimeSpan.FromDays(7 * n),
            "month" or "months" => TimeSpan.FromDays(30 * n),
            "y" or "year" or "years" => TimeSpan.FromDays(365 * n),
            var unit => throw new FormatException($"bad age '{value}': unknown unit '{unit}'"),
        };
    }

    /// <summary>One of an enum's names, lower case (background, sync, off).</summary>
    public static TEnum Choice<TEnum>(string? value) where TEnum : struct, Enum
    {
        var text = Present(value).Trim();
        foreach (var choice in Enum.GetValues<TEnum>())
            if (Name(choice).Equals(text, StringComparison.OrdinalIgnoreCase)) return choice;
        throw new FormatException($"'{value}' is not one of {string.Join(", ", Enum.GetValues<TEnum>().Select(Name))}");
    }

    /// <summary>The word a choice is written as.</summary>
    public static string Name<TEnum>(TEnum value) where TEnum : struct, Enum => value.ToString().ToLowerInvariant();

    /// <summary>A key written without "=" has no value: only booleans accept that.</summary>
    private static string Present(string? value) => value ?? throw new FormatException("the key has no value");

    [GeneratedRegex(@"^(\d+)[. ]?([a-z]*)$")]
    private static partial Regex AgePattern();
}
