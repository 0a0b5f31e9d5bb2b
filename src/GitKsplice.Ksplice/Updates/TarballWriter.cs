using GitKsplice.Reporting;

namespace GitKsplice.Updates;

/// <summary>
/// Writes an update tarball on a thread of its own while the passes after the build still run, so its
/// compression overlaps the analysis. <see cref="Start"/> begins with the files known once the changed objects
/// are found; <see cref="Restrict"/> leaves out what the update turns out not to carry; <see cref="Add"/>
/// takes files a later pass makes; <see cref="Complete"/> gives the manifest, written last; <see cref="Publish"/>
/// renames the finished file into place. Anything short of a publish leaves only the temp file, which
/// <see cref="Abandon"/> (or disposing) removes.
/// </summary>
public sealed class TarballWriter : IDisposable
{
    private readonly string _root;
    private readonly DateTime _timestamp;
    private readonly IReadOnlyList<ArchiveFile> _initial;
    private readonly List<ArchiveFile> _added = [];
    private readonly TaskCompletionSource<string> _manifest = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _gate = new();
    private Func<string, bool> _keeps = static _ => true;
    private HashSet<string> _written = new(StringComparer.Ordinal);
    private CancellationTokenSource _stop = new();
    private Task _writing = Task.CompletedTask;
    private bool _published;
    private bool _existedBefore;

    /// <summary>Where the tarball goes once published.</summary>
    public string Path { get; }
    private string TempPath => System.IO.Path.Combine(System.IO.Path.GetDirectoryName(Path)!,
        $".{System.IO.Path.GetFileName(Path)}.{Environment.ProcessId}.tmp");

    private TarballWriter(string path, string root, IReadOnlyList<ArchiveFile> files, DateTime timestamp)
    {
        Path = path;
        _root = root;
        _initial = files.OrderBy(f => f.Name, StringComparer.Ordinal).ToList();
        _timestamp = timestamp;
    }

    /// <summary>
    /// Starts writing <paramref name="files"/> (sorted by name, under the directory <paramref name="root"/>) into a
    /// temp file beside <paramref name="path"/>.
    /// </summary>
    public static TarballWriter Start(string path, string root, IReadOnlyList<ArchiveFile> files, DateTime timestamp)
    {
        var writer = new TarballWriter(path, root, files, timestamp);
        writer.Begin();
        return writer;
    }

    private void Begin()
    {
        var stop = _stop.Token;
        _writing = Task.Factory.StartNew(() => Write(stop), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    /// <summary>
    /// Leaves out the files <paramref name="keeps"/> rejects. Those not written yet are skipped; if one is
    /// already in the file, the writing starts over without it.
    /// </summary>
    public void Restrict(Func<string, bool> keeps)
    {
        bool startOver;
        lock (_gate)
        {
            _keeps = keeps;
            startOver = _written.Any(name => !keeps(name));
        }
        if (!startOver) return;
        StopWriting();
        lock (_gate) _written = new(StringComparer.Ordinal);
        _stop = new CancellationTokenSource();
        Begin();
    }

    /// <summary>A file made after the start (by a later pass): written after the first ones, before the manifest.</summary>
    public void Add(ArchiveFile file)
    {
        lock (_gate)
        {
            if (_manifest.Task.IsCompleted) throw new InvalidOperationException("the tarball is already complete");
            _added.Add(file);
        }
    }

    /// <summary>Gives the manifest, the tarball's last file; the temp file is then finished in the background.</summary>
    public void Complete(string manifestJson)
    {
        lock (_gate) _manifest.SetResult(manifestJson);
    }

    /// <summary>Waits for the temp file to be finished (and flushed to disk), then renames it to <see cref="Path"/>.</summary>
    public void Publish()
    {
        if (!_manifest.Task.IsCompleted) throw new InvalidOperationException("the tarball is not complete");
        _writing.GetAwaiter().GetResult();
        _existedBefore = File.Exists(Path);
        File.Move(TempPath, Path, overwrite: true);
        _published = true;
        PerformanceTrace.Step("tarball published");
    }

    /// <summary>
    /// Takes a published tarball back after a later step failed: removed if this writer created it; a file that
    /// was there before (a rebuild of the same update, the same bytes) stays.
    /// </summary>
    public void Unpublish()
    {
        if (!_published) return;
        _published = false;
        if (!_existedBefore) File.Delete(Path);
    }

    /// <summary>Stops the writing and removes the temp file; a published tarball stays.</summary>
    public void Abandon()
    {
        if (_published) return;
        _manifest.TrySetCanceled();
        StopWriting();
    }

    private void StopWriting()
    {
        _stop.Cancel();
        try { _writing.Wait(); }
        catch (AggregateException) { } // stopped, or failed: either way the temp file is removed below
        try { File.Delete(TempPath); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    public void Dispose() => Abandon();

    private void Write(CancellationToken stop)
    {
        try
        {
            UpdateArchive.WriteTo(TempPath, _root, Files(stop), _timestamp);
            PerformanceTrace.Step("tarball written");
        }
        catch when (stop.IsCancellationRequested)
        {
            throw new OperationCanceledException(stop);
        }
    }

    /// <summary>The files in the order they go in: the first ones by name as kept, the added ones by name, the manifest.</summary>
    private IEnumerable<ArchiveFile> Files(CancellationToken stop)
    {
        foreach (var file in _initial)
        {
            lock (_gate)
            {
                stop.ThrowIfCancellationRequested();
                if (!_keeps(file.Name)) continue;
                _written.Add(file.Name);
            }
            yield return file;
        }
        var manifest = _manifest.Task.WaitAsync(stop).GetAwaiter().GetResult();
        List<ArchiveFile> added;
        lock (_gate) added = _added.Where(f => _keeps(f.Name)).OrderBy(f => f.Name, StringComparer.Ordinal).ToList();
        foreach (var file in added)
        {
            stop.ThrowIfCancellationRequested();
            yield return file;
        }
        yield return new ArchiveFile(UpdateArchive.ManifestName, () => new MemoryStream(System.Text.Encoding.UTF8.GetBytes(manifest)));
    }
}
