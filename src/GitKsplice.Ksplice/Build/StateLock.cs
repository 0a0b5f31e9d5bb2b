using GitKsplice.Reporting;

namespace GitKsplice.Build;

/// <summary>
/// An exclusive lock on a file under the git dir, held through an open file handle (flock on Linux), so a
/// process that crashes or is killed never leaves it held. The file names the holder for messages. A lock
/// that cannot be opened at all (a read-only file system, no permission) is an error naming the path and
/// the reason, never mistaken for a lock someone holds.
/// </summary>
public sealed class StateLock : IDisposable
{
    /// <summary>The errno .NET reports (as the HResult) when flock finds the lock taken.</summary>
    private const int WouldBlock = 11;

    private readonly FileStream _stream;

    private StateLock(FileStream stream) => _stream = stream;

    /// <summary>The lock, or null when another process holds it.</summary>
    public static StateLock? TryAcquire(string path, string holder)
    {
        FileStream stream;
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e) when (e.HResult == WouldBlock) { return null; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw CannotOpen(path, e); }
        try
        {
            // .NET takes a shared flock to read a file, so the holder is written beside the lock, not in it.
            File.WriteAllText(path + ".holder", $"{Environment.ProcessId} {holder}\n");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            stream.Dispose();
            throw CannotOpen(path + ".holder", e);
        }
        return new StateLock(stream);
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
                onWait($"waiting for another git ksplice build to finish ({Holder(path) ?? "holder unknown"})");
                told = true;
            }
            Task.Delay(200, cancel).GetAwaiter().GetResult();
        }
    }

    /// <summary>
    /// Who holds the lock now: "pid N what", as the holder wrote it. A holder file naming a process that is
    /// gone was left by an earlier holder: the process holding the lock now is not known.
    /// </summary>
    public static string? Holder(string path)
    {
        string text;
        try { text = File.ReadAllText(path + ".holder").Trim(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
        var space = text.IndexOf(' ');
        if (text.Length == 0 || !int.TryParse(space < 0 ? text : text[..space], out var pid)) return null;
        return Directory.Exists($"/proc/{pid}") ? "pid " + text : null;
    }

    /// <summary>Whether some live process holds the lock now.</summary>
    public static bool IsHeld(string path)
    {
        if (!File.Exists(path)) return false;
        // Read-only: the probe works on a read-only file system too, where nothing can be holding it.
        try
        {
            using var probe = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.None);
            return false;
        }
        catch (IOException e) when (e.HResult == WouldBlock) { return true; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
    }

    private static UserError CannotOpen(string path, Exception e) =>
        new($"cannot open the lock {path}: {Reason(e)}");

    /// <summary>The system's reason without .NET's wording around it ("Read-only file system", "Permission denied").</summary>
    private static string Reason(Exception e) => e switch
    {
        UnauthorizedAccessException => "permission denied",
        _ when e.HResult == 30 => "read-only file system",
        _ when e.HResult == 28 => "no space left on device",
        _ => e.Message,
    };

    public void Dispose() => _stream.Dispose();
}
