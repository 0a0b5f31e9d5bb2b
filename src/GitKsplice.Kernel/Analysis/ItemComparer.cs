using GitKsplice.Elf;

namespace GitKsplice.Analysis;

/// <summary>How a correlated pair differs; <see cref="LineCallee"/> is set when only a __LINE__ argument changed.</summary>
internal sealed record Difference(string Reason, bool IsLineOnly = false);

/// <summary>
/// Pass 2: compares one correlated function or data object: size, bytes, and relocations entry by entry (type,
/// offset, what they point at). Referents are compared through the correlation, so a call to foo.isra.3 in the
/// original equals a call to foo.isra.7 in the patched object, and a string by its text.
/// </summary>
internal sealed class ItemComparer(ObjectModel original, ObjectModel patched, Correlation correlation, PatchLines.FileLines? lines)
{
    private const int MaxListed = 3;

    public Difference? Compare(Item o, Item p)
    {
        original.CountCompared(o);
        patched.CountCompared(p);
        var ro = original.Relocations(o);
        var rp = patched.Relocations(p);
        string? relocationReason = CompareRelocations(o, p, ro, rp);
        var bo = original.Bytes(o);
        var bp = patched.Bytes(p);
        if (o.Size == p.Size && relocationReason == null && bo.SequenceEqual(bp) && !HasImplicitAddends(ro))
            return null; // the common case: identical, decided without allocating

        var reasons = new List<string>();
        if (o.Size != p.Size) reasons.Add($"size {o.Size} → {p.Size} bytes");
        if (relocationReason != null) reasons.Add(relocationReason);

        if (o.Size == p.Size && relocationReason == null && bo.Length == bp.Length)
        {
            int at = FirstDifference(bo, bp, ro, o.Start);
            if (at >= 0)
            {
                if (o.IsFunction)
                {
                    var calls = new List<(long, string)>(rp.Length);
                    foreach (var r in rp)
                        if (patched.Resolve(p.Section, r).Symbol is { } s && s.Name.Length > 0)
                            calls.Add(((long)(r.Offset - p.Start), s.Name));
                    if (LineNumberChanges.FindCallee(patched.File, bo, bp, calls) is { } callee)
                        return new Difference($"only the line number passed to {callee}() changed", IsLineOnly: true);
                    if (lines != null && !lines.Touches(SymbolNames.ParentName(p.Name)) && LineNumberChanges.OnlyMovedLines(patched.File, bo, bp, lines))
                        return new Difference("only line numbers the patch moved changed", IsLineOnly: true);
                    reasons.Add($"code differs at +0x{at:x}");
                }
                else reasons.Add($"contents differ at +0x{at:x}");
            }
        }
        return reasons.Count == 0 ? null : new Difference(string.Join("; ", reasons));
    }

    /// <summary>Null when the relocations agree; otherwise what changed, in terms of what the code refers to.</summary>
    private string? CompareRelocations(Item o, Item p, ReadOnlySpan<ElfRelocation> ro, ReadOnlySpan<ElfRelocation> rp)
    {
        int mismatch = -1;
        if (ro.Length == rp.Length)
        {
            for (int i = 0; i < ro.Length && mismatch < 0; i++)
                if (ro[i].Offset - o.Start != rp[i].Offset - p.Start || ro[i].Type != rp[i].Type
                    || !SameReferent(original.Resolve(o.Section, ro[i]), patched.Resolve(p.Section, rp[i])))
                    mismatch = i;
            if (mismatch < 0) return null;
        }
        return ExplainRelocations(o, p, ro, rp, mismatch);
    }

    /// <summary>Whether two referents are the same once the original's names are read through the correlation.</summary>
    private bool SameReferent(Referent a, Referent b)
    {
        if (a.Kind != ReferentKind.Symbol || b.Kind != ReferentKind.Symbol) return a.SameContent(b);
        if (a.Delta != b.Delta) return false;
        // A writable special static (WARN_ONCE's flag, a lockdep key) is the update's own fresh copy: any one will do.
        if (original.ItemFor(a.Symbol!) is { IsSpecialStatic: true, IsReadOnly: false } sa
            && patched.ItemFor(b.Symbol!) is { IsSpecialStatic: true, IsReadOnly: false } sb)
            return sa.BaseName == sb.BaseName;
        return string.Equals(OriginalName(a.Symbol!), PatchedName(b.Symbol!), StringComparison.Ordinal);
    }

    /// <summary>What changed between two relocation lists, in terms of what the code refers to.</summary>
    private string ExplainRelocations(Item o, Item p, ReadOnlySpan<ElfRelocation> ro, ReadOnlySpan<ElfRelocation> rp, int mismatch)
    {
        var keysO = new string[ro.Length];
        var keysP = new string[rp.Length];
        for (int i = 0; i < ro.Length; i++) keysO[i] = OriginalKey(original.Resolve(o.Section, ro[i]));
        for (int i = 0; i < rp.Length; i++) keysP[i] = PatchedKey(patched.Resolve(p.Section, rp[i]));

        var removed = Subtract(keysO, keysP);
        var added = Subtract(keysP, keysO);
        var strings = (removed.Where(IsString).ToList(), added.Where(IsString).ToList());
        var parts = new List<string>();
        if (strings.Item1.Count > 0 && strings.Item2.Count > 0)
        {
            parts.Add($"string literal {strings.Item1[0]["string ".Length..]} → {strings.Item2[0]["string ".Length..]}");
            removed.Remove(strings.Item1[0]);
            added.Remove(strings.Item2[0]);
        }
        if (added.Count > 0) parts.Add("now refers to " + List(added));
        if (removed.Count > 0) parts.Add("no longer refers to " + List(removed));
        if (parts.Count == 0)
        {
            if (mismatch < 0) mismatch = 0;
            parts.Add(mismatch < Math.Min(ro.Length, rp.Length)
                ? $"relocation at +0x{rp[mismatch].Offset - p.Start:x} differs ({keysP[mismatch]})"
                : "relocations differ");
        }
        return string.Join("; ", parts);
    }

    /// <summary>The name an original-side symbol has in the patched object ("(removed)" when it has none).</summary>
    private string OriginalName(ElfSymbol symbol) =>
        original.ItemFor(symbol) is { } item ? correlation.PartnerOf(item)?.Name ?? $"{item.Name} (removed)" : SymbolNames.BaseName(symbol.Name);

    /// <summary>
    /// A patched-side symbol's name; one that is neither a function nor a data object we compare (an undefined
    /// symbol, a kernel metadata entry such as descriptor.123) by its name without the compiler's number.
    /// </summary>
    private string PatchedName(ElfSymbol symbol) =>
        patched.ItemFor(symbol) is { } item ? item.Name : SymbolNames.BaseName(symbol.Name);

    /// <summary>An original-side referent named as its counterpart in the patched object is named.</summary>
    private string OriginalKey(Referent t) => t.Kind == ReferentKind.Symbol ? WithDelta(OriginalName(t.Symbol!), t.Delta) : t.Describe();

    private string PatchedKey(Referent t) => t.Kind == ReferentKind.Symbol ? WithDelta(PatchedName(t.Symbol!), t.Delta) : t.Describe();

    private static string WithDelta(string name, long delta) => delta switch
    {
        0 => name,
        > 0 => $"{name}+{delta}",
        _ => $"{name}{delta}",
    };

    private static bool IsString(string key) => key.StartsWith("string \"", StringComparison.Ordinal);

    private static List<string> Subtract(string[] from, string[] take)
    {
        var left = from.ToList();
        foreach (var t in take) left.Remove(t);
        return left.Distinct().ToList();
    }

    private static string List(List<string> keys) =>
        string.Join(", ", keys.Take(MaxListed)) + (keys.Count > MaxListed ? $" and {keys.Count - MaxListed} more" : "");

    private static bool HasImplicitAddends(ReadOnlySpan<ElfRelocation> relocations)
    {
        foreach (var r in relocations) if (r.ImplicitAddendWidth != 0) return true;
        return false;
    }

    /// <summary>
    /// The first differing byte, skipping SHT_REL in-place addends (already compared as relocations); -1 if none.
    /// </summary>
    private static int FirstDifference(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, ReadOnlySpan<ElfRelocation> sites, ulong start)
    {
        int from = 0;
        foreach (var r in sites)
        {
            if (r.ImplicitAddendWidth == 0) continue;
            int site = (int)(r.Offset - start);
            int end = Math.Min(site + r.ImplicitAddendWidth, a.Length);
            if (site > from && Mismatch(a[from..site], b[from..site]) is var m and >= 0) return from + m;
            from = Math.Max(from, end);
        }
        return from < a.Length && Mismatch(a[from..], b[from..]) is var last and >= 0 ? from + last : -1;
    }

    private static int Mismatch(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        if (a.SequenceEqual(b)) return -1;
        return a.CommonPrefixLength(b);
    }
}
