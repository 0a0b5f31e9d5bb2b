using System.Text.RegularExpressions;
using GitKsplice.Images;

namespace GitKsplice.Livepatch;

/// <summary>A kernel release ("6.1.192") and where it was read, for the manifest.</summary>
public sealed partial record KernelRelease(string Release, string Source)
{
    /// <summary>
    /// The running kernel's release from ORIG_CONFIG: its image (vmlinuz or bzImage, as <see cref="KernelImage"/>
    /// reads it), else the version in its .config header; null when the directory has neither.
    /// </summary>
    public static KernelRelease? FromConfigDirectory(string directory)
    {
        foreach (var name in KernelImage.ConfigNames)
        {
            var image = Path.Combine(directory, name);
            if (File.Exists(image) && KernelImage.TryRead(image) is { } read) return new KernelRelease(read.Release, $"{name} in ORIG_CONFIG");
        }
        var config = Path.Combine(directory, ".config");
        if (File.Exists(config) && FromConfig(File.ReadLines(config).Take(8).ToList()) is { } fromConfig)
            return new KernelRelease(fromConfig, ".config in ORIG_CONFIG");
        return null;
    }

    /// <summary>"# Linux/x86 6.1.192 Kernel Configuration" plus CONFIG_LOCALVERSION, when the header has it.</summary>
    public static string? FromConfig(IReadOnlyList<string> lines)
    {
        var header = lines.Select(l => ConfigHeader().Match(l)).FirstOrDefault(m => m.Success);
        return header?.Groups[1].Value;
    }

    /// <summary>The release a built tree's modules get in their vermagic (include/config/kernel.release).</summary>
    public static string? OfBuildTree(string tree)
    {
        var path = Path.Combine(tree, "include", "config", "kernel.release");
        return File.Exists(path) ? File.ReadAllText(path).Trim() : null;
    }

    [GeneratedRegex(@"^# Linux/\S+ (\d+\.\d+\S*) Kernel Configuration")]
    private static partial Regex ConfigHeader();
}
