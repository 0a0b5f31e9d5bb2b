using System.Text.Json;
using GitKsplice.Json;

namespace GitKsplice.Build;

/// <summary>
/// The last build a command ran: which, when it finished, the launcher its compiles ran through and, with
/// ccache, how many of them the cache served (read from ccache's stats log of that build alone, so other
/// users of the same cache do not count). `git ksplice status` shows it.
/// </summary>
public sealed record LastBuild(string Label, DateTimeOffset Finished, string? Launcher, int? CacheHits, int? CacheMisses)
{
    /// <summary>The share of cacheable compiles served from the cache; null without ccache or compiles.</summary>
    public double? HitRate => CacheHits is { } hits && CacheMisses is { } misses && hits + misses > 0 ? (double)hits / (hits + misses) : null;

    public static LastBuild? Read(string path)
    {
        try { return File.Exists(path) ? JsonSerializer.Deserialize(File.ReadAllText(path), BuildStateJsonContext.Default.LastBuild) : null; }
        catch (JsonException) { return null; }
    }

    public void Write(string path) =>
        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(this, BuildStateJsonContext.Default.LastBuild), flushToDisk: false);

    /// <summary>
    /// Hits and misses in a ccache stats log (CCACHE_STATSLOG): one "# source" line per compile, then its
    /// counters; a compile counts as a hit when its result came from the cache (direct or preprocessed), a
    /// miss when it was compiled and stored. Compiles ccache could not cache (links, -E) count as neither.
    /// </summary>
    public static (int Hits, int Misses) CcacheCounts(string statsLog)
    {
        int hits = 0, misses = 0;
        if (!File.Exists(statsLog)) return (0, 0);
        foreach (var line in File.ReadLines(statsLog))
        {
            if (line is "direct_cache_hit" or "preprocessed_cache_hit") hits++;
            else if (line == "cache_miss") misses++;
        }
        return (hits, misses);
    }
}
