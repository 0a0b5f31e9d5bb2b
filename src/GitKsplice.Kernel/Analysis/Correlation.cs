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
        var byName = UniqueBy(patched, i => i.Name);
        foreach (var (name, o) in UniqueBy(original, i => i.Name))
            if (o != null && o.BaseName == name && byName.TryGetValue(name, out var p) && p != null)
                Link(o, p);

        var leftOriginal = GroupByBaseName(original.Where(o => !Patched.ContainsKey(o)));
        var leftPatched = GroupByBaseName(patched.Where(p => !Original.ContainsKey(p)));
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

    /// <summary>Pairs candidates whose key is equal and unique on both sides.</summary>
    private void PairBy(List<Item> olds, List<Item> news, Func<Item, string?> key)
    {
        var patchedByKey = UniqueBy(news, key);
        var originalByKey = UniqueBy(olds, key);
        bool linked = false;
        foreach (var (k, o) in originalByKey)
        {
            if (o == null || !patchedByKey.TryGetValue(k, out var p) || p == null) continue;
            Link(o, p);
            linked = true;
        }
        if (!linked) return;
        olds.RemoveAll(Patched.ContainsKey);
        news.RemoveAll(Original.ContainsKey);
    }

    /// <summary>Items by key (items without a key left out); null for a key more than one item has.</summary>
    private static Dictionary<string, Item?> UniqueBy(List<Item> items, Func<Item, string?> key)
    {
        var byKey = new Dictionary<string, Item?>(items.Count, StringComparer.Ordinal);
        foreach (var i in items)
            if (key(i) is { } k)
                byKey[k] = byKey.ContainsKey(k) ? null : i;
        return byKey;
    }

    private static Dictionary<string, List<Item>> GroupByBaseName(IEnumerable<Item> items)
    {
        var groups = new Dictionary<string, List<Item>>(StringComparer.Ordinal);
        foreach (var i in items)
        {
            if (!groups.TryGetValue(i.BaseName, out var list)) groups[i.BaseName] = list = [];
            list.Add(i);
        }
        return groups;
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
