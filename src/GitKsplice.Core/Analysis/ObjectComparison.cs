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

    /// <summary>Bytes of code and data compared (both objects), for throughput figures.</summary>
    public long ComparedBytes { get; init; }
}

/// <summary>
/// One function or data object that differs. <see cref="Status"/> is "changed", "new", "removed" or "line-only";
/// <see cref="Kind"/> is "function" or "data". Either name is null on the side where the symbol does not exist.
/// </summary>
public sealed record SymbolChange(string Symbol, string Kind, string Status, string? OriginalName, string? PatchedName,
    string? Reason);

/// <summary>
/// Compares the original and the patched object of one translation unit.
/// Either side may be absent (an object the change added or removed).
/// Implementations are pure: bytes in, classification out; bad input throws <see cref="ObjectFormatException"/>.
/// </summary>
public interface IObjectAnalyzer
{
    ObjectComparison Compare(string? originalPath, string? patchedPath);
}

/// <summary>A file that is not a readable ELF relocatable object; the message names the file and the problem.</summary>
public sealed class ObjectFormatException(string message) : Cli.UserError(message);
