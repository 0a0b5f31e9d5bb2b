namespace GitKsplice;

/// <summary>Writes that never leave a half-written file: a temp file beside the target, then a rename.</summary>
public static class AtomicFile
{
    /// <param name="flushToDisk">
    /// False for state that is rebuilt when lost (git does not flush its own refs and loose objects either):
    /// the rename still never shows a half-written file, and the write costs no disk flush.
    /// </param>
    public static void WriteAllText(string path, string text, bool flushToDisk = true) =>
        Write(path, stream => { using var w = new StreamWriter(stream, leaveOpen: true); w.Write(text); }, flushToDisk);

    public static void Write(string path, Action<Stream> writeContent, bool flushToDisk = true)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(dir);
        var temp = Path.Combine(dir, $".{Path.GetFileName(path)}.{Environment.ProcessId}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                writeContent(stream);
                stream.Flush(flushToDisk);
            }
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }
}
