using System.Buffers.Binary;
using System.Text;
using System.Text.RegularExpressions;

namespace GitKsplice.Livepatch;

/// <summary>A kernel release ("6.1.192") and where it was read, for the manifest.</summary>
public sealed partial record KernelRelease(string Release, string Source)
{
    /// <summary>
    /// The running kernel's release from ORIG_CONFIG: its image (vmlinuz or bzImage, the version string the boot
    /// header points at), else the version in its .config header; null when the directory has neither.
    /// </summary>
    public static KernelRelease? FromConfigDirectory(string directory)
    {
        foreach (var name in new[] { "vmlinuz", "bzImage" })
        {
            var image = Path.Combine(directory, name);
            if (File.Exists(image) && FromImage(image) is { } release) return new KernelRelease(release, $"{name} in ORIG_CONFIG");
        }
        var config = Path.Combine(directory, ".config");
        if (File.Exists(config) && FromConfig(File.ReadLines(config).Take(8).ToList()) is { } fromConfig)
            return new KernelRelease(fromConfig, ".config in ORIG_CONFIG");
        return null;
    }

    /// <summary>
    /// The release in an x86 bzImage: the boot header ("HdrS" at 0x202) holds at 0x20e the offset, less 0x200,
    /// of a string that starts with the release ("6.1.192 (user@host) #1 ...").
    /// </summary>
    public static string? FromImage(string path)
    {
        var header = new byte[0x210];
        using var file = File.OpenRead(path);
        if (file.ReadAtLeast(header, header.Length, throwOnEndOfStream: false) < header.Length) return null;
        if (!header.AsSpan(0x202, 4).SequenceEqual("HdrS"u8)) return null;
        int at = BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(0x20e)) + 0x200;
        if (at <= 0x200 || at >= file.Length) return null;
        var text = new byte[256];
        file.Position = at;
        int read = file.ReadAtLeast(text, text.Length, throwOnEndOfStream: false);
        var version = Encoding.ASCII.GetString(text, 0, Math.Max(0, Array.IndexOf(text, (byte)0, 0, read) is var end && end >= 0 ? end : read));
        var release = version.Split(' ', 2)[0];
        return ReleaseShape().IsMatch(release) ? release : null;
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

    [GeneratedRegex(@"^\d+\.\d+[\w.+~-]*$")]
    private static partial Regex ReleaseShape();

    [GeneratedRegex(@"^# Linux/\S+ (\d+\.\d+\S*) Kernel Configuration")]
    private static partial Regex ConfigHeader();
}
