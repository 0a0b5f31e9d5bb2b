using System.Text;

namespace GitKsplice.Kstuff.Config;

/// <summary>
/// The lines of one ID/TP file. Bytes are read as Latin-1 so that any byte survives a round trip;
/// <see cref="Render"/> of an unchanged file gives back exactly the bytes read.
/// </summary>
public abstract class ConfigFile
{
    /// <summary>The name used in messages (the path it was read from, or a tree-relative path).</summary>
    public string Path { get; }
    public IReadOnlyList<ConfigLine> Lines { get; }
    public bool FinalNewline { get; }

    protected ConfigFile(string path, IReadOnlyList<ConfigLine> lines, bool finalNewline)
    {
        Path = path; Lines = lines; FinalNewline = finalNewline;
    }

    public static Encoding Encoding { get; } = Encoding.Latin1;

    public string Render()
    {
        var sb = new StringBuilder();
        for (int i = 0; i < Lines.Count; i++)
        {
            if (i > 0) sb.Append('\n');
            sb.Append(Lines[i].Text);
        }
        if (FinalNewline && Lines.Count > 0) sb.Append('\n');
        return sb.ToString();
    }

    public byte[] ToBytes() => Encoding.GetBytes(Render());

    protected static (List<ConfigLine> Lines, bool FinalNewline) SplitLines(string text)
    {
        var lines = new List<ConfigLine>();
        if (text.Length == 0) return (lines, true);
        var parts = text.Split('\n');
        bool final = text.EndsWith('\n');
        int count = final ? parts.Length - 1 : parts.Length;
        for (int i = 0; i < count; i++) lines.Add(ConfigLine.Parse(parts[i], i + 1));
        return (lines, final);
    }

    /// <summary>The number given by "$version N", or 1 for a file without one (the older format).</summary>
    protected static int ReadVersion(string path, IEnumerable<ConfigLine> lines)
    {
        int? version = null;
        foreach (var line in lines.Where(l => l.DirectiveName == "version"))
        {
            if (version != null) throw new ConfigFormatException(path, line.Number, "$version given twice");
            if (line.Fields.Count != 2 || !int.TryParse(line.Fields[1], out var v))
                throw new ConfigFormatException(path, line.Number, "$version needs one number");
            if (v != 1 && v != 2)
                throw new ConfigFormatException(path, line.Number, $"unsupported $version {line.Fields[1]} (1 and 2 are known)");
            version = v;
        }
        return version ?? 1;
    }

    protected static bool IsInteger(string s) => int.TryParse(s, System.Globalization.NumberStyles.AllowLeadingSign,
        System.Globalization.CultureInfo.InvariantCulture, out _);

    protected static bool IsHex(string s) => s.Length > 0 && s.All(Uri.IsHexDigit);

    /// <summary>True when a driver or module name is usable as a file name in the tree.</summary>
    internal static bool IsName(string s) => s.Length > 0 && s != "." && s != ".." && !s.Contains('/') && !s.Contains('\0');

    protected static List<ConfigLine> Replace(IReadOnlyList<ConfigLine> lines, int index, ConfigLine line)
    {
        var copy = lines.ToList();
        copy[index] = line;
        return copy;
    }
}
