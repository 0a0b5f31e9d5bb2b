namespace GitKsplice.Kstuff.Config;

/// <summary>Major device numbers of a driver: one number, or an inclusive range written "S-E".</summary>
public readonly record struct MajorRange(int First, int Last)
{
    public int Count => Last - First + 1;

    public bool Overlaps(MajorRange other) => First <= other.Last && other.First <= Last;

    public bool Contains(int major) => major >= First && major <= Last;

    public IEnumerable<int> All() => Enumerable.Range(First, Count);

    public static bool TryParse(string text, out MajorRange range)
    {
        range = default;
        var dash = text.IndexOf('-');
        if (dash < 0)
        {
            if (!TryNumber(text, out var n)) return false;
            range = new MajorRange(n, n);
            return true;
        }
        if (!TryNumber(text[..dash], out var first) || !TryNumber(text[(dash + 1)..], out var last) || last < first)
            return false;
        range = new MajorRange(first, last);
        return true;
    }

    private static bool TryNumber(string s, out int n)
    {
        n = 0;
        return s.Length > 0 && s.All(char.IsAsciiDigit) && int.TryParse(s, out n);
    }

    public override string ToString() => First == Last ? First.ToString() : $"{First}-{Last}";
}
