namespace GitKsplice.Analysis;

/// <summary>One reason a change cannot be hot-patched safely, in words a developer understands.</summary>
public sealed record UnsafeFinding(string Kind, string Symbol, string Reason);

/// <summary>A function whose only difference is a __LINE__ value passed to a WARN/BUG/printk-style call.</summary>
public sealed record LineOnlyChange(string Symbol, string Reason);

/// <summary>What one translation unit's change did to its object code, function by function.</summary>
public sealed record ObjectComparison(
    IReadOnlyList<string> Changed,
    IReadOnlyList<string> New,
    IReadOnlyList<string> Removed,
    IReadOnlyList<UnsafeFinding> Unsafe,
    IReadOnlyList<LineOnlyChange> LineOnly)
{
    public bool HasFunctionalChange => Changed.Count > 0 || New.Count > 0 || Removed.Count > 0 || Unsafe.Count > 0;

    /// <summary>Every function and data object that differs, with its names on both sides and why it differs.</summary>
    public IReadOnlyList<SymbolChange> Details { get; init; } = [];

    /// <summary>The pieces each changed or new function carries (functions that carry none left out).</summary>
    public IReadOnlyList<CarriedPieces> Carried =>
        Details.Select(d => d.Carries).OfType<CarriedPieces>().Where(c => c.Functions.Count + c.Data.Count > 0).ToList();

    /// <summary>
    /// How many functions an update of this object holds: changed and new functions and the code pieces (.cold,
    /// __pfx_) they carry, each counted once; the figure kpatch reports as its number of functions.
    /// </summary>
    public int FunctionCount => Changed.Concat(New).Concat(Carried.SelectMany(c => c.Functions)).Distinct().Count();

    /// <summary>Bytes of code and data compared (both objects), for throughput figures.</summary>
    public long ComparedBytes { get; init; }
}

/// <summary>
/// One function or data object that differs. <see cref="Status"/> is "changed", "new", "removed" or "line-only";
/// <see cref="Kind"/> is "function" or "data". Either name is null on the side where the symbol does not exist.
/// </summary>
public sealed record SymbolChange(string Symbol, string Kind, string Status, string? OriginalName, string? PatchedName,
    string? Reason)
{
    /// <summary>
    /// For a changed or new function: the pieces an update carries with it (.cold and .part pieces, __pfx_ padding,
    /// fresh copies of read-only data and special statics it uses); null for anything else.
    /// </summary>
    public CarriedPieces? Carries { get; init; }
}

/// <summary>
/// The pieces an update carries with one changed or new function: <see cref="Functions"/> are code (.cold and
/// .part pieces, __pfx_ padding), <see cref="Data"/> read-only data and special statics it gets a fresh copy of.
/// </summary>
public sealed record CarriedPieces(string Function, IReadOnlyList<string> Functions, IReadOnlyList<string> Data);

/// <summary>
/// Compares the original and the patched object of one translation unit.
/// Either side may be absent (an object the change added or removed).
/// Implementations are pure: bytes in, classification out; bad input throws <see cref="ObjectFormatException"/>.
/// </summary>
public interface IObjectAnalyzer
{
    /// <param name="context">What else is known, such as the patch (for line numbers it moved); null when nothing is.</param>
    ObjectComparison Compare(string? originalPath, string? patchedPath, ComparisonContext? context = null);
}

/// <summary>A file that is not a readable ELF relocatable object; the message names the file and the problem.</summary>
public sealed class ObjectFormatException(string message) : FormatException(message);
