using System.Text;

namespace GitKsplice.Git;

/// <summary>
/// One record in a note: "key: value" lines, readable in `git log --notes=…` and parsed back. A note may
/// hold several records separated by blank lines; the first line's key names the record's kind
/// (e.g. "ksplice-update: &lt;id&gt;"), so each writer replaces only its own record.
/// </summary>
public sealed class NoteRecord
{
    private readonly List<KeyValuePair<string, string>> _fields = [];

    public NoteRecord(string kind, string name) => Add(kind, name);

    private NoteRecord() { }

    public string Kind => _fields[0].Key;
    public string Name => _fields[0].Value;
    public IReadOnlyList<KeyValuePair<string, string>> Fields => _fields;

    public NoteRecord Add(string key, string value)
    {
        if (key.Contains(':') || key.Contains('\n')) throw new ArgumentException($"bad note key '{key}'");
        // One line per value: a note is line-oriented.
        _fields.Add(new(key, value.Replace('\n', ' ').Trim()));
        return this;
    }

    public string? Get(string key)
    {
        foreach (var (k, v) in _fields)
            if (k == key) return v;
        return null;
    }

    public List<string> GetAll(string key)
    {
        var values = new List<string>();
        foreach (var (k, v) in _fields)
            if (k == key) values.Add(v);
        return values;
    }

    public override string ToString()
    {
        var text = new StringBuilder();
        foreach (var (k, v) in _fields) text.Append(k).Append(": ").Append(v).Append('\n');
        return text.ToString();
    }

    /// <summary>Every record of a note; lines that are not "key: value" are skipped (a user may edit notes).</summary>
    public static IReadOnlyList<NoteRecord> ParseAll(string? note)
    {
        // One pass over the text without splitting it: list and bundles parse thousands of notes per run.
        var records = new List<NoteRecord>(2);
        if (string.IsNullOrEmpty(note)) return records;
        NoteRecord? current = null;
        var text = note.AsSpan();
        while (text.Length > 0)
        {
            var end = text.IndexOf('\n');
            var line = end < 0 ? text : text[..end];
            text = end < 0 ? default : text[(end + 1)..];
            if (line.Length > 0 && line[^1] == '\r') line = line[..^1];
            if (line.Length == 0) { current = null; continue; }
            var colon = line.IndexOf(": ", StringComparison.Ordinal);
            if (colon <= 0) continue;
            if (current == null) { current = new NoteRecord(); records.Add(current); }
            current._fields.Add(new(line[..colon].ToString(), line[(colon + 2)..].ToString()));
        }
        return records;
    }

    /// <summary>The note with this record put in place of the record of the same kind and name (or appended).</summary>
    public string MergeInto(string? note)
    {
        var records = ParseAll(note).Where(r => !(r.Kind == Kind && r.Name == Name)).Append(this);
        return string.Join("\n", records.Select(r => r.ToString()));
    }
}
