using System.Text;

namespace GitKsplice.Reporting;

/// <summary>Names from untrusted input, as an error line shows them: on one line, cut short, never taken as markup.</summary>
public static class Quoted
{
    /// <summary>
    /// <paramref name="value"/> in double quotes with C escapes for quotes, backslashes and control characters, as
    /// git's core.quotePath prints a path; at most <paramref name="max"/> characters of it, then "…".
    /// </summary>
    public static string Name(string? value, int max = 80)
    {
        if (value is null) return "null";
        var text = new StringBuilder("\"");
        foreach (var c in value.Length > max ? value[..max] : value)
            text.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\t' => "\\t",
                '\r' => "\\r",
                _ when char.IsControl(c) => "\\" + Convert.ToString(c, 8).PadLeft(3, '0'),
                _ => c.ToString(),
            });
        if (value.Length > max) text.Append('…');
        return text.Append('"').ToString();
    }
}
