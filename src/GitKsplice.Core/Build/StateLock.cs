namespace GitKsplice.Build;

/// <summary>
/// An exclusive lock on a file under the git dir, held through an open file handle (flock on Linux), so a
/// process that crashes or is killed never leaves it held. The file names the holder for messages.
/// </summary>
public sealed class StateLock : IDisposable
{
    private readonly FileStream _stream;

    private StateLock(FileStream stream) => _stream = stream;

    public static StateLock? TryAcquire(string path, string holder)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        try
        {
            var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            // .NET takes a shared flock to read a file, so the holder is written beside the lock, not in it.
            File.WriteAllText(path + ".holder", $"{Environment.ProcessId} {holder}\n");
            return new StateLock(stream);
        }
        catch (IOException) { return null; }
    }

    /// <summary>Waits for the lock, telling the user once who holds it.</summary>
    public static StateLock Acquire(string path, string holder, Action<string> onWait, CancellationToken cancel = default)
    {
        var told = false;
        while (true)
        {
            if (TryAcquire(path, holder) is { } acquired) return acquired;
            if (!told)
            {
                onWait($"waiting for another git ksplice build to finish ({Holder(path) ?? "unknown"})");
                told = true;
            }
            Task.Delay(200, cancel).GetAwaiter().GetResult();
        }
    }

    /// <summary>Who holds (or last held) the lock: "pid N what".</summary>
    public static string? Holder(string path)
    {
        try { return File.ReadAllText(path + ".holder").Trim() is { Length: > 0 } text ? "pid " + text : null; }
        catch (IOException) { return null; }
    }

    /// <summary>Whether some live process holds the lock now.</summary>
    public static bool IsHeld(string path)
    {
        if (!File.Exists(path)) return false;
        using var probe = TryAcquireQuietly(path);
        return probe == null;
    }

    private static FileStream? TryAcquireQuietly(string path)
    {
        try { return new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None); }
        catch (IOException) { return null; }
    }

    public void Dispose() => _stream.Dispose();
}
