using System.IO.Enumeration;

namespace GitKsplice.Build;

/// <summary>A file's size and modification time, as a directory walk or a stat reads them.</summary>
public readonly record struct FileStamp(long Length, DateTime LastWriteTimeUtc);

/// <summary>The source files a change adds and deletes (paths relative to the tree).</summary>
public sealed record SourceChanges(IReadOnlyList<string> Added, IReadOnlyList<string> Deleted);

/// <summary>A build output whose bytes differ between the pre snapshot and the build tree (PrePath null for a new one).</summary>
public sealed record ChangedOutput(string Path, string? PrePath, string PostPath);

/// <summary>
/// Finds build outputs: the objects compiled from the tree's sources and the files --build-modules packages,
/// and those a change really changed. An output with the same size and mtime as its pre copy was not
/// rebuilt (the snapshot keeps mtimes) and is skipped without reading it; rebuilt ones are compared byte
/// for byte.
/// </summary>
public static class ChangedOutputs
{
    private static readonly string[] SourceExtensions = [".c", ".S", ".s"];

    /// <summary>
    /// Objects compiled from a source file of the tree at <paramref name="sourceRoot"/> (foo.o for foo.c), not
    /// linked aggregates like vmlinux.o, nor the hidden objects of a link step (Kbuild's .tmp_vmlinux.kallsyms1.o
    /// from the .S it generates: the symbol tables of an intermediate vmlinux, which any change moves).
    /// </summary>
    public static OutputFilter Objects(string sourceRoot) => new(
        rel => rel.EndsWith(".o", StringComparison.Ordinal) && !System.IO.Path.GetFileName(rel).StartsWith('.') && HasSource(sourceRoot, rel),
        AnyObject.MayMatch);

    /// <summary>Every object, for a root that holds objects only (the pre snapshot).</summary>
    private static readonly OutputFilter AnyObject = new(_ => true, name => name.EndsWith(".o", StringComparison.Ordinal));

    /// <summary>Every file.</summary>
    public static readonly OutputFilter Everything = new(_ => true, _ => true);

    /// <summary>Outputs matching any of the globs (against the file name or the relative path).</summary>
    public static OutputFilter Matching(IReadOnlyList<string> globs)
    {
        // The usual globs ("*.ko") also rule out a file by its name alone; any other shape is tested in full.
        var suffixes = globs.All(g => g.StartsWith("*.", StringComparison.Ordinal) && g.IndexOfAny(['*', '?', '/', '[', '\\'], 1) < 0)
            ? globs.Select(g => g[1..]).ToArray()
            : null;
        return new OutputFilter(
            rel => globs.Any(g =>
                FileSystemName.MatchesSimpleExpression(g, rel, ignoreCase: false) ||
                FileSystemName.MatchesSimpleExpression(g, System.IO.Path.GetFileName(rel), ignoreCase: false)),
            name => suffixes == null || EndsWithAny(name, suffixes));
    }

    private static bool EndsWithAny(ReadOnlySpan<char> name, string[] suffixes)
    {
        foreach (var suffix in suffixes)
            if (name.EndsWith(suffix, StringComparison.Ordinal)) return true;
        return false;
    }

    /// <summary>
    /// The files under <paramref name="root"/> that <paramref name="wanted"/> accepts (relative paths), with each
    /// one's size and mtime as the directory walk read them.
    /// </summary>
    public static IEnumerable<(string Path, FileStamp Stamp)> Enumerate(string root, OutputFilter wanted)
    {
        if (!Directory.Exists(root)) yield break;
        var options = new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = 0 };
        // The name test runs on the directory entry itself: most of a kernel tree's 80k files are passed over
        // without a path string being made for them.
        var files = new FileSystemEnumerable<(string, FileStamp)>(root,
            (ref FileSystemEntry entry) => (entry.ToFullPath(), new FileStamp(entry.Length, entry.LastWriteTimeUtc.UtcDateTime)), options)
        {
            ShouldIncludePredicate = (ref FileSystemEntry entry) => !entry.IsDirectory && wanted.MayMatch(entry.FileName),
        };
        foreach (var (file, stamp) in files)
        {
            var rel = System.IO.Path.GetRelativePath(root, file);
            if (!rel.StartsWith(".git", StringComparison.Ordinal) && wanted.Matches(rel)) yield return (rel, stamp);
        }
    }

    /// <summary>The outputs of <paramref name="treeRoot"/> that differ from their copies under <paramref name="preRoot"/>.</summary>
    public static IReadOnlyList<ChangedOutput> Find(string preRoot, string treeRoot, OutputFilter wanted) =>
        Differing(preRoot, treeRoot, Enumerate(treeRoot, wanted)
            .Select(o => (o.Path, Stamp(System.IO.Path.Combine(preRoot, o.Path)), (FileStamp?)o.Stamp)));

    /// <summary>
    /// The objects of the pre snapshot with their sizes and mtimes, from one walk of it. The snapshot does not
    /// change while the post state builds, so a create lists it during the build.
    /// </summary>
    public static IReadOnlyDictionary<string, FileStamp> SnapshotObjects(string preRoot) =>
        Enumerate(preRoot, AnyObject)
            .ToDictionary(f => f.Path, f => f.Stamp, StringComparer.Ordinal);

    /// <summary>
    /// Of the post build's objects under <paramref name="objectRoot"/> (each with its stamp, null: look it up),
    /// those that are new or differ from their copy in the pre snapshot.
    /// </summary>
    public static IReadOnlyList<ChangedOutput> FindObjects(string preRoot, IReadOnlyDictionary<string, FileStamp> snapshot,
        string objectRoot, IEnumerable<(string Path, FileStamp? Stamp)> objects) =>
        Differing(preRoot, objectRoot, objects
            .Select(o => (o.Path, snapshot.TryGetValue(o.Path, out var pre) ? pre : (FileStamp?)null, o.Stamp)));

    /// <summary>foo.o for foo.c, foo.S or foo.s; null for any other file.</summary>
    internal static string? ObjectOf(string source) =>
        SourceExtensions.Any(ext => source.EndsWith(ext, StringComparison.Ordinal)) ? source[..source.LastIndexOf('.')] + ".o" : null;

    private static FileStamp? Stamp(string path)
    {
        var info = new FileInfo(path);
        return info.Exists ? new FileStamp(info.Length, info.LastWriteTimeUtc) : null;
    }

    /// <summary>
    /// Of the outputs named, with the stamps of their pre copy (null: none) and of their build (null: look it
    /// up), those in the tree that are new or have other bytes than their pre copy.
    /// </summary>
    private static IReadOnlyList<ChangedOutput> Differing(string preRoot, string treeRoot,
        IEnumerable<(string Path, FileStamp? Pre, FileStamp? Post)> outputs)
    {
        var result = new List<ChangedOutput>();
        foreach (var (rel, pre, known) in outputs)
        {
            var postPath = System.IO.Path.Combine(treeRoot, rel);
            if ((known ?? Stamp(postPath)) is not { } post) continue;
            var prePath = System.IO.Path.Combine(preRoot, rel);
            if (pre == null) result.Add(new ChangedOutput(rel, null, postPath));
            else if (!SameBytes(prePath, pre.Value, postPath, post)) result.Add(new ChangedOutput(rel, prePath, postPath));
        }
        result.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path));
        return result;
    }

    /// <summary>Same size and mtime: a copy not rebuilt since; otherwise the bytes decide.</summary>
    private static bool SameBytes(string prePath, FileStamp pre, string postPath, FileStamp post)
    {
        if (pre.Length != post.Length) return false;
        if (pre.LastWriteTimeUtc == post.LastWriteTimeUtc) return true;
        using var a = new FileStream(prePath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        using var b = new FileStream(postPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        var bufA = new byte[1 << 16];
        var bufB = new byte[1 << 16];
        while (true)
        {
            var n = a.ReadAtLeast(bufA, bufA.Length, throwOnEndOfStream: false);
            var m = b.ReadAtLeast(bufB, bufB.Length, throwOnEndOfStream: false);
            if (n != m || !bufA.AsSpan(0, n).SequenceEqual(bufB.AsSpan(0, m))) return false;
            if (n == 0) return true;
        }
    }

    private static bool HasSource(string root, string objectPath)
    {
        var stem = System.IO.Path.Combine(root, objectPath[..^2]);
        return SourceExtensions.Any(ext => File.Exists(stem + ext));
    }
}

/// <summary>
/// Which build outputs to look at: a cheap test on the file name, which may only rule files out, and the full
/// test on the path relative to the tree.
/// </summary>
public sealed class OutputFilter(Func<string, bool> matches, OutputFilter.NameTest mayMatch)
{
    public delegate bool NameTest(ReadOnlySpan<char> fileName);

    public bool Matches(string relativePath) => matches(relativePath);

    public bool MayMatch(ReadOnlySpan<char> fileName) => mayMatch(fileName);

    public OutputFilter Or(OutputFilter other) =>
        new(rel => Matches(rel) || other.Matches(rel), name => MayMatch(name) || other.MayMatch(name));
}
