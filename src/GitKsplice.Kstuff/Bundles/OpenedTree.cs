using GitKsplice.Kstuff.Config;

namespace GitKsplice.Kstuff.Bundles;

/// <summary>
/// A configuration tree opened from whatever names one: a bundle file, an extracted bundle, an etc/conf, or a
/// root holding etc/conf. A bundle is extracted into a scratch directory that lives as long as this object
/// (the tree reads its files from there), and its files are named in messages as <c>bundle(member)</c>, never
/// by the scratch path that is gone by the time the user reads it.
/// </summary>
public sealed class OpenedTree : IDisposable
{
    private readonly string? _scratch;
    private readonly CancellationToken _cancel;

    private OpenedTree(ConfigTree tree, bool isRoot, string? scratch, CancellationToken cancel)
    {
        Tree = tree;
        IsRoot = isRoot;
        _scratch = scratch;
        _cancel = cancel;
    }

    public ConfigTree Tree { get; }

    /// <summary>The path named a root holding etc/conf: a tree written in its place takes that layout.</summary>
    public bool IsRoot { get; }

    /// <param name="scratchParent">Where a bundle is extracted (a directory of this command's own).</param>
    /// <param name="cancel">
    /// Stops the extraction (SIGTERM, ^C). Once it is cancelled, the extracted files (hundreds of MB for a large
    /// tree) are left to the owner of <paramref name="scratchParent"/>, so that the command stops at once.
    /// </param>
    public static OpenedTree Open(string path, TreeSide side, string scratchParent, CancellationToken cancel = default)
    {
        if (!File.Exists(path))
        {
            var conf = Path.Combine(path, "etc", "conf");
            var isRoot = !Directory.Exists(Path.Combine(path, "mdevice.d")) && Directory.Exists(conf);
            return new OpenedTree(ConfigTree.Load(isRoot ? conf : path, side), isRoot, null, cancel);
        }
        var bundle = Path.GetFullPath(path);
        var scratch = Path.Combine(scratchParent, $"git-kstuff-bundle-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            BundleArchive.Extract(bundle, scratch, cancel);
            return new OpenedTree(ConfigTree.Load(scratch, side, member => $"{bundle}({member})"), false, scratch, cancel);
        }
        catch
        {
            if (!cancel.IsCancellationRequested && Directory.Exists(scratch)) Directory.Delete(scratch, recursive: true);
            throw;
        }
    }

    public void Dispose()
    {
        if (!_cancel.IsCancellationRequested && _scratch != null && Directory.Exists(_scratch)) Directory.Delete(_scratch, recursive: true);
    }
}
