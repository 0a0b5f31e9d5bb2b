using System.IO.Enumeration;

namespace GitKsplice.Build;

/// <summary>A build output whose bytes differ between the pre and the post tree (Pre is null for a new one).</summary>
public sealed record ChangedOutput(string Path, string? PrePath, string PostPath);

/// <summary>
/// Finds the build outputs a change really changed. The post tree starts as a copy of the pre tree with
/// timestamps kept, so an output with the same size and mtime on both sides was not rebuilt and is skipped
/// without reading it; only rebuilt ones are compared byte for byte.
/// </summary>
public static class ChangedOutputs
{
    private static readonly string[] SourceExtensions = [".c", ".S", ".s"];

    /// <summary>Objects compiled from a source file of the tree (foo.o beside foo.c): not linked aggregates like vmlinux.o.</summary>
    public static IReadOnlyList<ChangedOutput> Objects(string preRoot, string postRoot) =>
        Find(preRoot, postRoot, rel => rel.EndsWith(".o", StringComparison.Ordinal) && HasSource(postRoot, rel));

    /// <summary>Outputs matching any of the globs (matched against the file name and the relative path).</summary>
    public static IReadOnlyList<ChangedOutput> Matching(string preRoot, string postRoot, IReadOnlyList<string> globs) =>
        Find(preRoot, postRoot, rel => globs.Any(g =>
            FileSystemName.MatchesSimpleExpression(g, rel, ignoreCase: false) ||
            FileSystemName.MatchesSimpleExpression(g, System.IO.Path.GetFileName(rel), ignoreCase: false)));

    private static IReadOnlyList<ChangedOutput> Find(string preRoot, string postRoot, Func<string, bool> wanted)
    {
        var options = new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = 0 };
        var result = new List<ChangedOutput>();
        foreach (var post in Directory.EnumerateFiles(postRoot, "*", options))
        {
            var rel = System.IO.Path.GetRelativePath(postRoot, post);
            if (rel.StartsWith(".git", StringComparison.Ordinal) || !wanted(rel)) continue;
            var pre = System.IO.Path.Combine(preRoot, rel);
            if (!File.Exists(pre)) { result.Add(new ChangedOutput(rel, null, post)); continue; }
            if (!SameBytes(new FileInfo(pre), new FileInfo(post)))
                result.Add(new ChangedOutput(rel, pre, post));
        }
        result.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path));
        return result;
    }

    private static bool SameBytes(FileInfo pre, FileInfo post)
    {
        if (pre.Length != post.Length) return false;
        if (pre.LastWriteTimeUtc == post.LastWriteTimeUtc) return true; // not rebuilt since the copy
        using var a = new FileStream(pre.FullName, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        using var b = new FileStream(post.FullName, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
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
