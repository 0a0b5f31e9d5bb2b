using System.Security.Cryptography;
using GitKsplice.Git;

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

    /// <summary>
    /// ORIG_CONFIG's directory: <paramref name="configDir"/> (--config), which must exist, as a full path; else
    /// &lt;tree&gt;/ksplice in the work tree, which may not (null: a bare repository).
    /// </summary>
    public static string? DirectoryOf(KspliceRepository repository, string? configDir)
    {
        if (configDir == null) return repository.WorkDir is { } work ? Path.Combine(work, "ksplice") : null;
        return System.IO.Directory.Exists(configDir) ? Path.GetFullPath(configDir)
            : throw new Reporting.UserError($"configuration directory does not exist: {configDir}");
    }

    /// <summary>The .config and System.map of ORIG_CONFIG; a directory given with --config must hold one of them.</summary>
    public static OriginalConfig Load(KspliceRepository repository, string? configDir)
    {
        var dir = DirectoryOf(repository, configDir);
        if (dir == null || !System.IO.Directory.Exists(dir)) return None;
        var files = Names.Select(n => Path.Combine(dir, n)).Where(File.Exists).ToList();
        if (configDir != null && files.Count == 0)
            throw new Reporting.UserError($"configuration directory has neither .config nor System.map: {configDir}");
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
