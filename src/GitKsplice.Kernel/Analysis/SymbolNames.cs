namespace GitKsplice.Analysis;

/// <summary>Names as the compiler numbers them, and the numbering taken away for correlation.</summary>
public static class SymbolNames
{
    /// <summary>
    /// The name without the compiler's numbered suffixes: "foo.isra.3" → "foo.isra", "counter.1234" → "counter",
    /// "foo.constprop.0.isra.0" → "foo.constprop.isra", "foo.cold.12" → "foo.cold". Names without a dot are returned
    /// unchanged (and unallocated), which is nearly all of them.
    /// </summary>
    public static string BaseName(string name)
    {
        if (!HasNumberedPart(name)) return name;
        var parts = name.Split('.');
        var kept = new List<string>(parts.Length) { parts[0] };
        for (int i = 1; i < parts.Length; i++)
            if (!IsNumber(parts[i])) kept.Add(parts[i]);
        return kept.Count == parts.Length ? name : string.Join('.', kept);
    }

    /// <summary>True for names gcc gives a piece split off another function: "foo.cold", "foo.cold.3".</summary>
    public static bool IsColdPart(string name) => BaseName(name).EndsWith(".cold", StringComparison.Ordinal);

    /// <summary>True for partial-inlining clones such as "foo.part.0": a real function its parent calls.</summary>
    public static bool IsPartialClone(string name) => BaseName(name).Contains(".part", StringComparison.Ordinal);

    /// <summary>The function a ".cold"/".part" piece was split from: "foo.part.0.cold" → "foo".</summary>
    public static string ParentName(string name)
    {
        var b = BaseName(name);
        foreach (var marker in new[] { ".part", ".cold" })
        {
            int at = b.IndexOf(marker, StringComparison.Ordinal);
            if (at > 0) b = b[..at];
        }
        return b;
    }

    /// <summary>Whether any dot-separated part after the first is all digits (".1234", ".0"), without allocating.</summary>
    private static bool HasNumberedPart(string name)
    {
        if (name.Length < 2) return false;
        for (int dot = name.IndexOf('.', 1); dot >= 0 && dot + 1 < name.Length; dot = name.IndexOf('.', dot + 1))
        {
            int end = dot + 1;
            while (end < name.Length && name[end] is >= '0' and <= '9') end++;
            if (end > dot + 1 && (end == name.Length || name[end] == '.')) return true;
        }
        return false;
    }

    private static bool IsNumber(string s)
    {
        if (s.Length == 0) return false;
        foreach (var c in s) if (c is < '0' or > '9') return false;
        return true;
    }
}
