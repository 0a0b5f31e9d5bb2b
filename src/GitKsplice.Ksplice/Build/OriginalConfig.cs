using System.Security.Cryptography;

namespace GitKsplice.Build;

/// <summary>
/// ORIG_CONFIG of ksplice-create: the directory holding the running kernel's .config and System.map,
/// copied into every build tree so the tree builds the running kernel's configuration.
/// </summary>
public sealed class OriginalConfig
{
    private static readonly string[] Names = [".config", "System.map"];

    public string? Directory { get; }
    public IReadOnlyList<string> Files { get; }

    private OriginalConfig(string? directory, IReadOnlyList<string> files) { Directory = directory; Files = files; }

    public static OriginalConfig None { get; } = new(null, []);

    /// <summary>An explicit directory must exist; the default one (&lt;tree&gt;/ksplice) is optional.</summary>
    public static OriginalConfig Load(string? explicitDir, string? defaultDir)
    {
        if (explicitDir != null && !System.IO.Directory.Exists(explicitDir))
            throw new Reporting.UserError($"configuration directory does not exist: {explicitDir}");
        var dir = explicitDir ?? (defaultDir != null && System.IO.Directory.Exists(defaultDir) ? defaultDir : null);
        if (dir == null) return None;
        var files = Names.Select(n => Path.Combine(dir, n)).Where(File.Exists).ToList();
        if (explicitDir != null && files.Count == 0)
            throw new Reporting.UserError($"configuration directory has neither .config nor System.map: {explicitDir}");
        return new OriginalConfig(Path.GetFullPath(dir), files);
    }

    /// <summary>Changes whenever a configuration file's content changes.</summary>
    public string Hash()
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var file in Files)
        {
            sha.AppendData(System.Text.Encoding.UTF8.GetBytes(Path.GetFileName(file) + "\0"));
            sha.AppendData(File.ReadAllBytes(file));
        }
        return Convert.ToHexStringLower(sha.GetHashAndReset())[..16];
    }
}
