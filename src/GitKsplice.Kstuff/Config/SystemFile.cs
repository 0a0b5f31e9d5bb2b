using System.Text.RegularExpressions;

namespace GitKsplice.Kstuff.Config;

/// <summary>
/// One entry line of a System (sdevice.d) file:
/// <c>name configure unit ipl itype ivec sioa eioa scma ecma dmachan [cpu]</c>.
/// </summary>
public sealed record SystemEntry(string Name, bool Configured, IReadOnlyList<string> Fields);

/// <summary>A System file, sdevice.d/&lt;driver&gt;: $version, $static or $loadable, and entry lines.</summary>
public sealed partial class SystemFile : ConfigFile
{
    public int Version { get; }
    public IReadOnlyList<SystemEntry> Entries { get; }

    private SystemFile(string path, IReadOnlyList<ConfigLine> lines, bool finalNewline, int version,
        IReadOnlyList<SystemEntry> entries) : base(path, lines, finalNewline)
    {
        Version = version; Entries = entries;
    }

    /// <summary>Declares $loadable.</summary>
    public bool IsLoadable => Lines.Any(l => l.DirectiveName == "loadable");

    /// <summary>
    /// Loadable as kstuff judges a source System file: a $loadable commented out by one "#"
    /// (written "#$loadable" or "# $loadable") still counts.
    /// </summary>
    public bool IsLoadableAsSource => IsLoadable || Lines.Any(l => l.Kind == LineKind.Comment && CommentedLoadable().IsMatch(l.Text));

    /// <summary>At least one entry says Y.</summary>
    public bool IsConfigured => Entries.Any(e => e.Configured);

    /// <summary>Has entries and every one says N.</summary>
    public bool IsStubbedOut => Entries.Count > 0 && Entries.All(e => !e.Configured);

    [GeneratedRegex(@"^[ \t]*#[ \t]*\$loadable([ \t]|\r?$)")]
    private static partial Regex CommentedLoadable();

    public static SystemFile Parse(string path, string text)
    {
        var (lines, final) = SplitLines(text);
        int version = ReadVersion(path, lines);
        var entries = new List<SystemEntry>();
        foreach (var line in lines)
        {
            if (line.Kind == LineKind.Directive && line.Fields[0] == "$")
                throw new ConfigFormatException(path, line.Number, "a \"$\" without a directive name");
            if (line.Kind == LineKind.Entry) entries.Add(ParseEntry(path, line));
        }
        return new SystemFile(path, lines, final, version, entries);
    }

    private static SystemEntry ParseEntry(string path, ConfigLine line)
    {
        var f = line.Fields;
        if (f.Count != 11 && f.Count != 12)
            throw new ConfigFormatException(path, line.Number,
                $"a System entry has 11 or 12 fields (name configure unit ipl itype ivec sioa eioa scma ecma dmachan [cpu]), found {f.Count}");
        if (!IsName(f[0])) throw new ConfigFormatException(path, line.Number, $"bad module name '{f[0]}'");
        if (f[1] != "Y" && f[1] != "N")
            throw new ConfigFormatException(path, line.Number, $"bad configure field '{f[1]}' (Y or N)");
        string[] numeric = ["unit", "ipl", "itype", "ivec"];
        for (int k = 0; k < numeric.Length; k++)
            if (!IsInteger(f[2 + k]))
                throw new ConfigFormatException(path, line.Number, $"bad {numeric[k]} '{f[2 + k]}' (a number)");
        string[] addresses = ["sioa", "eioa", "scma", "ecma"];
        for (int k = 0; k < addresses.Length; k++)
            if (!IsHex(f[6 + k]))
                throw new ConfigFormatException(path, line.Number, $"bad {addresses[k]} '{f[6 + k]}' (a hexadecimal address)");
        if (!IsInteger(f[10])) throw new ConfigFormatException(path, line.Number, $"bad dmachan '{f[10]}' (a number)");
        if (f.Count == 12 && !IsInteger(f[11])) throw new ConfigFormatException(path, line.Number, $"bad cpu '{f[11]}' (a number)");
        return new SystemEntry(f[0], f[1] == "Y", f.ToArray());
    }

    /// <summary>Every entry's configure field set to Y (or N); nothing else on the lines moves.</summary>
    public SystemFile WithConfigured(bool configured) => Map(line =>
        line.Kind == LineKind.Entry ? line.WithField(1, configured ? "Y" : "N") : line);

    /// <summary>Without its $loadable directive lines: a statically linked driver.</summary>
    public SystemFile WithoutLoadable()
    {
        var lines = Lines.Where(l => l.DirectiveName != "loadable").ToList();
        return new SystemFile(Path, lines, FinalNewline, Version, Entries);
    }

    /// <summary>Entries naming <paramref name="from"/> renamed to <paramref name="to"/>.</summary>
    public SystemFile WithModuleName(string from, string to) => Map(line =>
        line.Kind == LineKind.Entry && line.Fields[0] == from ? line.WithField(0, to) : line);

    private SystemFile Map(Func<ConfigLine, ConfigLine> change)
    {
        var lines = Lines.Select(change).ToList();
        var entries = lines.Where(l => l.Kind == LineKind.Entry)
            .Select(l => new SystemEntry(l.Fields[0], l.Fields[1] == "Y", l.Fields.ToArray())).ToList();
        return new SystemFile(Path, lines, FinalNewline, Version, entries);
    }
}
