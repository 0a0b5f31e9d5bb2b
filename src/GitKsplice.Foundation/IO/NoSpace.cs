namespace GitKsplice;

/// <summary>
/// A write that failed for want of space is told as "no space left on DIR". Otherwise the user reads .NET's
/// message, git's first line about some file, or a libgit2 error left over from an earlier lookup ("the path
/// 'cf' does not exist in the given tree"), none of which says what to do.
/// </summary>
public static class NoSpace
{
    private const int ENOSPC = 28;

    /// <summary>
    /// Below this much free space a failed write is taken for a full filesystem even when its error does not
    /// say so: a writer that fails usually removes its partial file, so the space is rarely zero afterwards.
    /// </summary>
    private const long AlmostFull = 1 << 20;

    private static readonly List<string> Watched = [];

    /// <summary>Directories this command writes in (the git dir, the state dir), checked when something fails.</summary>
    public static void Watch(string directory)
    {
        lock (Watched) if (!Watched.Contains(directory)) Watched.Add(directory);
    }

    /// <summary>Whether the error itself says no space was left (errno ENOSPC, or git's and the tools' wording).</summary>
    public static bool Says(Exception e) =>
        e is IOException { HResult: ENOSPC } || Says(e.Message);

    /// <summary>
    /// "no space left on DIR" for a failure on a full filesystem: the first watched directory with almost no
    /// space left, or, for an error that says so itself, the directory it names; null for any other failure.
    /// </summary>
    public static string? Explain(Exception failure) => Explain(Says(failure));

    /// <summary>As <see cref="Explain(Exception)"/>, for a failure whose output does (or does not) say no space was left.</summary>
    public static string? Explain(bool saysNoSpace)
    {
        string[] watched;
        lock (Watched) watched = [.. Watched];
        if (watched.FirstOrDefault(d => FreeSpace(d) is < AlmostFull) is { } full) return $"no space left on {full}";
        return saysNoSpace ? $"no space left on {watched.FirstOrDefault() ?? "the device"}" : null;
    }

    /// <summary>Whether a command's output says no space was left.</summary>
    public static bool Says(string output) => output.Contains("No space left on device", StringComparison.Ordinal);

    /// <summary>The bytes free for this user on the filesystem holding <paramref name="directory"/>, or null.</summary>
    public static long? FreeSpace(string directory)
    {
        try { return Directory.Exists(directory) ? new DriveInfo(directory).AvailableFreeSpace : null; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException) { return null; }
    }
}
