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
        var byName = patched.GroupBy(i => i.Name).Where(g => g.Count() == 1).ToDictionary(g => g.Key, g => g.First());
        var originalNames = original.GroupBy(i => i.Name).Where(g => g.Count() == 1).Select(g => g.Key).ToHashSet();
        foreach (var o in original)
            if (o.BaseName == o.Name && originalNames.Contains(o.Name) && byName.TryGetValue(o.Name, out var p))
                Link(o, p);

        var leftOriginal = original.Where(o => !Patched.ContainsKey(o)).GroupBy(o => o.BaseName).ToDictionary(g => g.Key, g => g.ToList());
        var leftPatched = patched.Where(p => !Original.ContainsKey(p)).GroupBy(p => p.BaseName).ToDictionary(g => g.Key, g => g.ToList());
        foreach (var (baseName, olds) in leftOriginal)
        {
            if (!leftPatched.TryGetValue(baseName, out var news)) continue;
            if (olds.Count == 1 && news.Count == 1) { Link(olds[0], news[0]); continue; }
            // Several candidates: same referrers first, then same exact name, then overlapping referrers.
            PairWhere(olds, news, (o, p) => o.Referrers.Count > 0 && o.Referrers.SetEquals(p.Referrers));
            PairWhere(olds, news, (o, p) => o.Name == p.Name);
            PairWhere(olds, news, (o, p) => o.Referrers.Overlaps(p.Referrers));
            // Still ambiguous with equal numbers on both sides: the compiler emits them in source order.
            if (olds.Count == news.Count)
                foreach (var (o, p) in olds.OrderBy(i => i.Symbol.Index).Zip(news.OrderBy(i => i.Symbol.Index)))
                    Link(o, p);
        }
    }

    private void PairWhere(List<Item> olds, List<Item> news, Func<Item, Item, bool> fits)
    {
        foreach (var o in olds.ToList())
        {
            var matches = news.Where(p => fits(o, p)).ToList();
            var p = matches.Count == 1 ? matches[0] : matches.Count > 1 && olds.Count(x => fits(x, matches[0])) == 1 ? matches[0] : null;
            if (p == null) continue;
            Link(o, p);
            olds.Remove(o);
            news.Remove(p);
        }
    }

    private void Link(Item original, Item patched)
    {
        Patched[original] = patched;
        Original[patched] = original;
    }
}
