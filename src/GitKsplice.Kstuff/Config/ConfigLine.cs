namespace GitKsplice.Kstuff.Config;

public enum LineKind { Blank, Comment, Directive, Entry }

/// <summary>
/// One physical line of an ID/TP file, kept byte for byte. Fields are split on blanks but the blanks
/// themselves are remembered, so changing one field rewrites only that field and an unchanged line
/// renders exactly as it was read.
/// </summary>
public sealed class ConfigLine
{
    private readonly string _leading;
    private readonly string[] _fields;
    private readonly string[] _separators; // _separators[i] follows _fields[i]; the last one is empty
    private readonly string _trailing;     // an inline "# comment" and a carriage return, if any

    public string Text { get; }
    public LineKind Kind { get; }
    /// <summary>1-based number of the line in the file it was read from; 0 for a line we made.</summary>
    public int Number { get; }
    /// <summary>The blank-separated fields; for a directive the first is the "$name".</summary>
    public IReadOnlyList<string> Fields => _fields;

    private ConfigLine(string text, LineKind kind, int number, string leading, string[] fields, string[] separators, string trailing)
    {
        Text = text; Kind = kind; Number = number;
        _leading = leading; _fields = fields; _separators = separators; _trailing = trailing;
    }

    public static ConfigLine Parse(string text, int number)
    {
        var body = text.EndsWith('\r') ? text[..^1] : text;
        var cr = body.Length == text.Length ? "" : "\r";
        int i = 0;
        while (i < body.Length && IsBlank(body[i])) i++;
        var leading = body[..i];
        if (i == body.Length)
            return new ConfigLine(text, LineKind.Blank, number, leading, [], [], body[i..] + cr);
        if (body[i] == '#' || body[i] == '*')
            return new ConfigLine(text, LineKind.Comment, number, leading, [], [], body[i..] + cr);

        var fields = new List<string>();
        var separators = new List<string>();
        var trailing = cr;
        while (i < body.Length)
        {
            if (body[i] == '#')
            {
                // An inline comment: keep it, with the blanks before it, as the line's tail.
                var sepStart = separators.Count > 0 ? i - separators[^1].Length : i;
                if (separators.Count > 0) separators[^1] = "";
                trailing = body[sepStart..] + cr;
                break;
            }
            int start = i;
            while (i < body.Length && !IsBlank(body[i])) i++;
            fields.Add(body[start..i]);
            int sep = i;
            while (i < body.Length && IsBlank(body[i])) i++;
            separators.Add(body[sep..i]);
        }
        // Blanks at the very end belong to the tail so that a new last field does not inherit them.
        if (separators.Count > 0 && trailing == cr && separators[^1].Length > 0)
        {
            trailing = separators[^1] + cr;
            separators[^1] = "";
        }
        var kind = fields[0].StartsWith('$') ? LineKind.Directive : LineKind.Entry;
        return new ConfigLine(text, kind, number, leading, [.. fields], [.. separators], trailing);
    }

    /// <summary>This line with its fields replaced; blanks between surviving fields are kept.</summary>
    public ConfigLine WithFields(IReadOnlyList<string> fields)
    {
        if (Kind is LineKind.Blank or LineKind.Comment) throw new InvalidOperationException("a blank or comment line has no fields");
        if (fields.SequenceEqual(_fields)) return this;
        if (fields.Count == 0) throw new ArgumentException("a line needs at least one field", nameof(fields));
        var defaultSeparator = _separators.Length > 1 ? _separators[0] : "\t";
        var separators = new string[fields.Count];
        for (int k = 0; k < fields.Count - 1; k++)
            separators[k] = k < _separators.Length - 1 ? _separators[k] : defaultSeparator;
        separators[^1] = "";
        var sb = new System.Text.StringBuilder(_leading);
        for (int k = 0; k < fields.Count; k++) sb.Append(fields[k]).Append(separators[k]);
        sb.Append(_trailing);
        return new ConfigLine(sb.ToString(), Kind, Number, _leading, [.. fields], separators, _trailing);
    }

    public ConfigLine WithField(int index, string value)
    {
        var fields = _fields.ToArray();
        fields[index] = value;
        return WithFields(fields);
    }

    /// <summary>For a directive line: its name without the "$".</summary>
    public string? DirectiveName => Kind == LineKind.Directive ? _fields[0][1..] : null;

    private static bool IsBlank(char c) => c == ' ' || c == '\t';

    public override string ToString() => Text;
}
