namespace GitKsplice.Kstuff.Config;

/// <summary>
/// One entry line of a Master (mdevice.d) file: <c>name prefix characteristics order bmaj cmaj</c>,
/// and in version 1 files an optional seventh field, the cpu binding.
/// </summary>
public sealed record MasterEntry(string Name, string Prefix, string Characteristics, int Order,
    MajorRange BlockMajors, MajorRange CharMajors, string? Cpu)
{
    public bool Has(char characteristic) => Characteristics != "-" && Characteristics.Contains(characteristic);
    public bool IsBlock => Has('b');
    public bool IsCharacter => Has('c');
    /// <summary>b, c or h: a device driver as the man page means "hardware".</summary>
    public bool IsHardware => Has('b') || Has('c') || Has('h');
    /// <summary>k: its major numbers are reserved in cf.d/res_major and must not change silently.</summary>
    public bool KeepsMajors => Has('k');
    /// <summary>r (version 1): always configured into a kernel.</summary>
    public bool IsRequired => Has('r');
}

/// <summary>A Master file, mdevice.d/&lt;driver&gt;: directives and one entry line per module.</summary>
public sealed class MasterFile : ConfigFile
{
    public int Version { get; }
    public IReadOnlyList<MasterEntry> Entries { get; }
    private readonly int[] _entryLines;

    private MasterFile(string path, IReadOnlyList<ConfigLine> lines, bool finalNewline, int version,
        IReadOnlyList<MasterEntry> entries, int[] entryLines) : base(path, lines, finalNewline)
    {
        Version = version; Entries = entries; _entryLines = entryLines;
    }

    public bool HasDirective(string name) => Lines.Any(l => l.DirectiveName == name);

    /// <summary>The man page's hardware driver: declares $dversion or has characteristic b, c or h.</summary>
    public bool IsHardware => HasDirective("dversion") || Entries.Any(e => e.IsHardware);
    public bool KeepsMajors => Entries.Any(e => e.KeepsMajors);
    public bool IsRequired => Entries.Any(e => e.IsRequired);

    public static MasterFile Parse(string path, string text)
    {
        var (lines, final) = SplitLines(text);
        int version = ReadVersion(path, lines);
        var entries = new List<MasterEntry>();
        var indexes = new List<int>();
        for (int i = 0; i < lines.Count; i++)
        {
            var line = lines[i];
            if (line.Kind == LineKind.Directive && line.Fields[0] == "$")
                throw new ConfigFormatException(path, line.Number, "a \"$\" without a directive name");
            if (line.Kind != LineKind.Entry) continue;
            entries.Add(ParseEntry(path, line, version));
            indexes.Add(i);
        }
        return new MasterFile(path, lines, final, version, entries, [.. indexes]);
    }

    private static MasterEntry ParseEntry(string path, ConfigLine line, int version)
    {
        var f = line.Fields;
        int max = version == 1 ? 7 : 6;
        if (f.Count < 6 || f.Count > max)
            throw new ConfigFormatException(path, line.Number,
                $"a version {version} Master entry has {(version == 1 ? "6 or 7" : "6")} fields " +
                $"(name prefix characteristics order bmaj cmaj{(version == 1 ? " [cpu]" : "")}), found {f.Count}");
        if (!IsName(f[0])) throw new ConfigFormatException(path, line.Number, $"bad module name '{f[0]}'");
        if (f[2] != "-" && !f[2].All(char.IsAsciiLetter))
            throw new ConfigFormatException(path, line.Number, $"bad characteristics '{f[2]}' (letters, or - for none)");
        if (!int.TryParse(f[3], out var order))
            throw new ConfigFormatException(path, line.Number, $"bad order '{f[3]}' (a number)");
        if (!MajorRange.TryParse(f[4], out var bmaj))
            throw new ConfigFormatException(path, line.Number, $"bad block major '{f[4]}' (a number or a range S-E)");
        if (!MajorRange.TryParse(f[5], out var cmaj))
            throw new ConfigFormatException(path, line.Number, $"bad character major '{f[5]}' (a number or a range S-E)");
        string? cpu = f.Count == 7 ? f[6] : null;
        if (cpu != null && !IsInteger(cpu))
            throw new ConfigFormatException(path, line.Number, $"bad cpu binding '{cpu}' (a number)");
        return new MasterEntry(f[0], f[1], f[2], order, bmaj, cmaj, cpu);
    }

    /// <summary>This file with entry <paramref name="index"/> replaced; only the changed fields are rewritten.</summary>
    public MasterFile WithEntry(int index, MasterEntry entry)
    {
        var line = Lines[_entryLines[index]];
        var fields = new List<string>
        {
            entry.Name, entry.Prefix, entry.Characteristics, Keep(line, 3, entry.Order.ToString()),
            Keep(line, 4, entry.BlockMajors), Keep(line, 5, entry.CharMajors),
        };
        if (entry.Cpu != null) fields.Add(entry.Cpu);
        var entries = Entries.ToList();
        entries[index] = entry;
        return new MasterFile(Path, Replace(Lines, _entryLines[index], line.WithFields(fields)), FinalNewline,
            Version, entries, _entryLines);
    }

    public MasterFile WithEntries(Func<MasterEntry, MasterEntry> change)
    {
        var file = this;
        for (int i = 0; i < Entries.Count; i++) file = file.WithEntry(i, change(Entries[i]));
        return file;
    }

    // An unchanged number keeps its original spelling (say "007" or "5-5").
    private static string Keep(ConfigLine line, int field, string value) =>
        int.TryParse(line.Fields[field], out var old) && old.ToString() == value ? line.Fields[field] : value;

    private static string Keep(ConfigLine line, int field, MajorRange value) =>
        MajorRange.TryParse(line.Fields[field], out var old) && old == value ? line.Fields[field] : value.ToString();
}
