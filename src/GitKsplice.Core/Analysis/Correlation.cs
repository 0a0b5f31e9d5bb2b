namespace GitKsplice.Analysis;

/// <summary>
/// Pass 1: pairs each function and data object of the original object with its counterpart in the patched one.
/// Plain names pair by name. Names the compiler numbers (foo.isra.3, counter.1234, foo.cold.2) pair by their
/// base name; when several share one (two functions' static "counter"), by which functions refer to them, so a
/// static local follows its function rather than its number.
/// </summary>
internal sealed class Correlation
{
    public Dictionary<Item, Item> Patched { get; } = [];
    public Dictionary<Item, Item> Original { get; } = [];

    public static Correlation Build(ObjectModel? original, ObjectModel? patched)
    {
        var c = new Correlation();
        if (original == null || patched == null) return c;
        c.Pair(original.Functions, patched.Functions);
        c.Pair(original.Data, patched.Data);
        return c;
    }

    /// <summary>The name a symbol of the original object has in the patched one, for comparing references.</summary>
    public Item? PartnerOf(Item original) => Patched.GetValueOrDefault(original);

    private void Pair(List<Item> original, List<Item> patched)
    {
        var byName = UniqueByName(patched);
        foreach (var (name, o) in UniqueByName(original))
            if (o != null && o.BaseName == name && byName.TryGetValue(name, out var p) && p != null)
                Link(o, p);

        var leftOriginal = original.Where(o => !Patched.ContainsKey(o)).GroupBy(o => o.BaseName).ToDictionary(g => g.Key, g => g.ToList());
        var leftPatched = patched.Where(p => !Original.ContainsKey(p)).GroupBy(p => p.BaseName).ToDictionary(g => g.Key, g => g.ToList());
        foreach (var (baseName, olds) in leftOriginal)
        {
            if (!leftPatched.TryGetValue(baseName, out var news)) continue;
            if (olds.Count == 1 && news.Count == 1) { Link(olds[0], news[0]); continue; }
            // Several candidates: the same referrers first, then the same exact name, then overlapping referrers.
            PairBy(olds, news, o => o.Referrers.Count > 0 ? string.Join('\0', o.Referrers.Order(StringComparer.Ordinal)) : null);
            PairBy(olds, news, o => o.Name);
            if ((long)olds.Count * news.Count <= 10_000)
                PairWhere(olds, news, (o, p) => o.Referrers.Overlaps(p.Referrers));
            // Still ambiguous with equal numbers on both sides: the compiler emits them in source order.
            if (olds.Count == news.Count)
                foreach (var (o, p) in olds.OrderBy(i => i.Symbol.Index).Zip(news.OrderBy(i => i.Symbol.Index)))
                    Link(o, p);
        }
    }

    /// <summary>Items by name; null for a name more than one item has.</summary>
    private static Dictionary<string, Item?> UniqueByName(List<Item> items)
    {
        var byName = new Dictionary<string, Item?>(items.Count, StringComparer.Ordinal);
        foreach (var i in items)
            byName[i.Name] = byName.ContainsKey(i.Name) ? null : i;
        return byName;
    }

    /// <summary>Pairs candidates whose key is equal and unique on both sides.</summary>
    private void PairBy(List<Item> olds, List<Item> news, Func<Item, string?> key)
    {
        var unique = news.Select(p => (Key: key(p), Item: p)).Where(x => x.Key != null).GroupBy(x => x.Key!)
            .Where(g => g.Count() == 1).ToDictionary(g => g.Key, g => g.First().Item);
        var taken = olds.Select(o => (Key: key(o), Item: o)).Where(x => x.Key != null).GroupBy(x => x.Key!)
            .Where(g => g.Count() == 1 && unique.ContainsKey(g.Key)).Select(g => (Original: g.First().Item, Patched: unique[g.Key]))
            .ToList();
        foreach (var (o, p) in taken) Link(o, p);
        olds.RemoveAll(Patched.ContainsKey);
        news.RemoveAll(Original.ContainsKey);
    }

    private void PairWhere(List<Item> olds, List<Item> news, Func<Item, Item, bool> fits)
    {
        foreach (var o in olds.ToList())
        {
            var matches = news.Where(p => fits(o, p)).ToList();
            if (matches.Count != 1 || olds.Count(x => fits(x, matches[0])) != 1) continue;
            Link(o, matches[0]);
            olds.Remove(o);
            news.Remove(matches[0]);
        }
    }

    private void Link(Item original, Item patched)
    {
        Patched[original] = patched;
        Original[patched] = original;
    }
}
