using System.Security.Cryptography;

namespace GitKsplice.Tests.Support;

/// <summary>Every file, directory and link under a root with its content hash (nodes under dev/ by name): equal snapshots, equal trees.</summary>
public static class TreeSnapshot
{
    public static SortedDictionary<string, string> Take(string root)
    {
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in new DirectoryInfo(root).EnumerateFileSystemInfos("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }))
        {
            var rel = Path.GetRelativePath(root, entry.FullName);
            if (entry.LinkTarget != null) result[rel] = "link " + entry.LinkTarget;
            else if (entry is DirectoryInfo) result[rel] = "dir";
            else if (rel.StartsWith("dev/", StringComparison.Ordinal)) result[rel] = "node";
            else result[rel] = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(entry.FullName)))[..16];
        }
        return result;
    }

    public static string Describe(SortedDictionary<string, string> snapshot) =>
        string.Join("\n", snapshot.Select(kv => kv.Key + " " + kv.Value));
}
