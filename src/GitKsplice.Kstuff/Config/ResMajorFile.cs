namespace GitKsplice.Kstuff.Config;

/// <summary>One line of cf.d/res_major: <c>b|c major-or-range module</c>, majors reserved for a keep (k) driver.</summary>
public sealed record ResMajorEntry(char Type, MajorRange Majors, string Module);

/// <summary>cf.d/res_major: the major numbers reserved for drivers that keep their majors.</summary>
public sealed class ResMajorFile : ConfigFile
{
    public IReadOnlyList<ResMajorEntry> Entries { get; }

    private ResMajorFile(string path, IReadOnlyList<ConfigLine> lines, bool finalNewline, IReadOnlyList<ResMajorEntry> entries)
        : base(path, lines, finalNewline)
    {
        Entries = entries;
    }

    public static ResMajorFile Empty(string path) => new(path, [], true, []);

    public static ResMajorFile Parse(string path, string text)
    {
        var (lines, final) = SplitLines(text);
        var entries = new List<ResMajorEntry>();
        foreach (var line in lines)
        {
            if (line.Kind == LineKind.Directive)
                throw new ConfigFormatException(path, line.Number, $"unexpected directive '{line.Fields[0]}' in res_major");
            if (line.Kind == LineKind.Entry) entries.Add(ParseEntry(path, line));
        }
        return new ResMajorFile(path, lines, final, entries);
    }

    private static ResMajorEntry ParseEntry(string path, ConfigLine line)
    {
        var f = line.Fields;
        if (f.Count != 3)
            throw new ConfigFormatException(path, line.Number, $"a res_major entry has 3 fields (b|c major module), found {f.Count}");
        if (f[0] != "b" && f[0] != "c")
            throw new ConfigFormatException(path, line.Number, $"bad type '{f[0]}' (b or c)");
        if (!MajorRange.TryParse(f[1], out var majors))
            throw new ConfigFormatException(path, line.Number, $"bad major '{f[1]}' (a number or a range S-E)");
        if (!IsName(f[2])) throw new ConfigFormatException(path, line.Number, $"bad module name '{f[2]}'");
        return new ResMajorEntry(f[0][0], majors, f[2]);
    }

    /// <summary>This file with <paramref name="added"/> appended as new lines; existing lines are untouched.</summary>
    public ResMajorFile WithAppended(IEnumerable<ResMajorEntry> added)
    {
        var lines = Lines.ToList();
        var entries = Entries.ToList();
        var lineEnd = lines.Count > 0 && lines[^1].Text.EndsWith('\r') ? "\r" : "";   // a CRLF file stays CRLF
        foreach (var entry in added)
        {
            lines.Add(ConfigLine.Parse($"{entry.Type}\t{entry.Majors}\t{entry.Module}{lineEnd}", 0));
            entries.Add(entry);
        }
        return new ResMajorFile(Path, lines, true, entries);
    }
}
