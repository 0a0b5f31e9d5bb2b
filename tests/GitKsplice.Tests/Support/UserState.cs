using System.Security.Cryptography;

namespace GitKsplice.Tests.Support;

/// <summary>The user's working tree, index and HEAD, byte for byte: what git ksplice must never touch.</summary>
public sealed record UserState(string Head, string IndexHash, string TreeHash)
{
    public static UserState Capture(TestRepo repo)
    {
        var head = File.ReadAllText(repo.Path(".git/HEAD")) + repo.Git("rev-parse", "HEAD");
        var index = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(repo.Path(".git/index"))));
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var file in Directory.EnumerateFiles(repo.Root, "*", SearchOption.AllDirectories)
                     .Where(f => !f.StartsWith(repo.Path(".git") + "/", StringComparison.Ordinal))
                     .Where(f => !IsUpdateTarball(f)) // create writes its tarball to the current directory, as ksplice-create does
                     .Order(StringComparer.Ordinal))
        {
            sha.AppendData(System.Text.Encoding.UTF8.GetBytes(file + "\0" + File.GetLastWriteTimeUtc(file).Ticks + "\0"));
            sha.AppendData(File.ReadAllBytes(file));
        }
        return new UserState(head, index, Convert.ToHexString(sha.GetHashAndReset()));
    }

    private static bool IsUpdateTarball(string path) =>
        System.IO.Path.GetFileName(path) is var name && name.StartsWith("ksplice-") && name.EndsWith(".tar.gz");
}
