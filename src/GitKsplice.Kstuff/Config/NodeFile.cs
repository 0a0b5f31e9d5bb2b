namespace GitKsplice.Kstuff.Config;

/// <summary>
/// One line of a Node (node.d) file: <c>module node-name type minor [user group mode [level]]</c>,
/// type b or c, optionally with ":offset" into the driver's major range.
/// </summary>
public sealed record NodeEntry(string Module, string NodeName, char Type, int? Offset, string Minor, IReadOnlyList<string> Fields);

/// <summary>A Node file, node.d/&lt;driver&gt;: the device nodes idmknod makes for a driver.</summary>
public sealed class NodeFile : ConfigFile
{
    public IReadOnlyList<NodeEntry> Entries { get; }

    private NodeFile(string path, IReadOnlyList<ConfigLine> lines, bool finalNewline, IReadOnlyList<NodeEntry> entries)
        : base(path, lines, finalNewline)
    {
        Entries = entries;
    }

    public static NodeFile Parse(string path, string text)
    {
        var (lines, final) = SplitLines(text);
        ReadVersion(path, lines);
        var entries = lines.Where(l => l.Kind == LineKind.Entry).Select(l => ParseEntry(path, l)).ToList();
        return new NodeFile(path, lines, final, entries);
    }

    private static NodeEntry ParseEntry(string path, ConfigLine line)
    {
        var f = line.Fields;
        if (f.Count != 4 && f.Count != 7 && f.Count != 8)
            throw new ConfigFormatException(path, line.Number,
                $"a Node entry has 4, 7 or 8 fields (module node-name type minor [user group mode [level]]), found {f.Count}");
        if (!IsName(f[0])) throw new ConfigFormatException(path, line.Number, $"bad module name '{f[0]}'");
        var type = f[2];
        int? offset = null;
        if (type.Length > 1)
        {
            if (type[1] != ':' || !int.TryParse(type[2..], out var o) || o < 0)
                throw new ConfigFormatException(path, line.Number, $"bad node type '{type}' (b or c, optionally :offset)");
            offset = o;
        }
        if (type[0] != 'b' && type[0] != 'c')
            throw new ConfigFormatException(path, line.Number, $"bad node type '{type}' (b or c, optionally :offset)");
        if (!IsInteger(f[3])) throw new ConfigFormatException(path, line.Number, $"bad minor '{f[3]}' (a number)");
        if (f.Count >= 7 && (f[6].Length == 0 || !f[6].All(c => c >= '0' && c <= '7')))
            throw new ConfigFormatException(path, line.Number, $"bad mode '{f[6]}' (octal)");
        if (f.Count == 8 && !IsInteger(f[7])) throw new ConfigFormatException(path, line.Number, $"bad level '{f[7]}' (a number)");
        return new NodeEntry(f[0], f[1], type[0], offset, f[3], f.ToArray());
    }

    /// <summary>Lines naming module <paramref name="from"/> renamed to <paramref name="to"/>.</summary>
    public NodeFile WithModuleName(string from, string to)
    {
        var lines = Lines.Select(l => l.Kind == LineKind.Entry && l.Fields[0] == from ? l.WithField(0, to) : l).ToList();
        return new NodeFile(Path, lines, FinalNewline, lines.Where(l => l.Kind == LineKind.Entry).Select(l => ParseEntry(Path, l)).ToList());
    }
}
