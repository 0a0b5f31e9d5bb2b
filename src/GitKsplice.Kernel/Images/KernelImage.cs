using System.Buffers.Binary;
using System.Text;
using System.Text.RegularExpressions;
using GitKsplice.Reporting;

namespace GitKsplice.Images;

/// <summary>
/// An x86 kernel image (bzImage, what Debian installs as /boot/vmlinuz-*): its release, read from the version
/// string the boot protocol header points at, so a module built for another kernel is refused before booting,
/// and so create builds the module for the release of the kernel that runs.
/// </summary>
public sealed partial record KernelImage(string Path, string Release, string Version)
{
    /// <summary>The names ORIG_CONFIG may give the running kernel's image, in the order they are looked for.</summary>
    public static IReadOnlyList<string> ConfigNames { get; } = ["vmlinuz", "bzImage"];

    // Boot protocol (Documentation/x86/boot.rst): "HdrS" at 0x202, the protocol version at 0x206, and at 0x20e
    // the offset, less 0x200, of a NUL-terminated "release (builder) #n ..." string within the setup code.
    private const int HeaderMagicOffset = 0x202, ProtocolOffset = 0x206, VersionPointerOffset = 0x20e, SetupLimit = 64 * 1024;

    /// <summary>The image of the running kernel in an ORIG_CONFIG directory, or null when it holds none.</summary>
    public static string? FindIn(string? configDir) =>
        configDir == null ? null : ConfigNames.Select(n => System.IO.Path.Combine(configDir, n)).FirstOrDefault(File.Exists);

    /// <summary>The image at <paramref name="path"/>; an error naming the file when it is not one or names no release.</summary>
    public static KernelImage Read(string path) => Parse(path, out var error) ?? throw new UserError(error!);

    /// <summary>The image at <paramref name="path"/>, or null when it cannot be read, is not a bzImage or names no release.</summary>
    public static KernelImage? TryRead(string path) => Parse(path, out _);

    private static KernelImage? Parse(string path, out string? error)
    {
        byte[] head;
        try
        {
            using var file = File.OpenRead(path);
            head = new byte[Math.Min(file.Length, SetupLimit)];
            file.ReadExactly(head);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            error = $"cannot read kernel image {path}: {e.Message}";
            return null;
        }
        if (head.Length < VersionPointerOffset + 2 || Encoding.ASCII.GetString(head, HeaderMagicOffset, 4) != "HdrS")
        {
            error = $"not an x86 kernel image (bzImage): {path}";
            return null;
        }
        var protocol = BinaryPrimitives.ReadUInt16LittleEndian(head.AsSpan(ProtocolOffset));
        var pointer = BinaryPrimitives.ReadUInt16LittleEndian(head.AsSpan(VersionPointerOffset)) + 0x200;
        if (protocol < 0x200 || pointer == 0x200 || pointer >= head.Length)
        {
            error = $"kernel image {path} names no version (boot protocol {protocol >> 8}.{protocol & 0xff})";
            return null;
        }
        var end = Array.IndexOf(head, (byte)0, pointer);
        var version = Encoding.ASCII.GetString(head, pointer, (end < 0 ? head.Length : end) - pointer);
        var release = version.Split(' ', 2)[0];
        if (!ReleaseShape().IsMatch(release))
        {
            error = $"kernel image {path} names no version";
            return null;
        }
        error = null;
        return new KernelImage(System.IO.Path.GetFullPath(path), release, version);
    }

    /// <summary>What a kernel release looks like: "6.1.192", "6.1.0-13-amd64", "6.1.192+".</summary>
    [GeneratedRegex(@"^\d+\.\d+[\w.+~-]*$")]
    private static partial Regex ReleaseShape();
}
