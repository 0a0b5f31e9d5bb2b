using System.Buffers.Binary;
using System.Text;
using GitKsplice.Images;
using GitKsplice.Livepatch;
using GitKsplice.Reporting;
using GitKsplice.Tests.Support;
using GitKsplice.Vm;

namespace GitKsplice.Tests.Images;

/// <summary>
/// The running kernel's release read once, from the bzImage boot header: by try (which refuses a module built
/// for another kernel) and by create (which builds the module for it), with create's .config fallback.
/// </summary>
public class KernelImageTests
{
    /// <summary>A bzImage's first bytes: "HdrS", boot protocol 2.15 and the version string where 0x20e points.</summary>
    private static byte[] Image(string version, ushort protocol = 0x020f)
    {
        var bytes = new byte[0x4000];
        Encoding.ASCII.GetBytes("HdrS").CopyTo(bytes, 0x202);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(0x206), protocol);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(0x20e), 0x3000 - 0x200);
        Encoding.ASCII.GetBytes(version + "\0").CopyTo(bytes, 0x3000);
        return bytes;
    }

    [Fact]
    public void The_release_and_version_come_from_the_string_the_boot_header_points_at()
    {
        using var dir = new TempDir();
        var path = dir["bzImage"];
        File.WriteAllBytes(path, Image("6.1.192+ (builder@host) #3 SMP PREEMPT_DYNAMIC Thu Nov 26 2026"));

        var image = KernelImage.Read(path);

        Assert.Equal("6.1.192+", image.Release);
        Assert.Equal("6.1.192+ (builder@host) #3 SMP PREEMPT_DYNAMIC Thu Nov 26 2026", image.Version);
        Assert.Equal(image, KernelImage.TryRead(path));
    }

    [Theory]
    [InlineData("elf", "not an x86 kernel image (bzImage)")]
    [InlineData("old-protocol", "names no version (boot protocol 1.255)")]
    [InlineData("no-release", "names no version")]
    public void What_is_not_a_bzImage_naming_its_release_is_an_error_naming_the_file_or_null(string kind, string error)
    {
        using var dir = new TempDir();
        var path = dir[kind];
        File.WriteAllBytes(path, kind switch
        {
            "elf" => [0x7f, (byte)'E', (byte)'L', (byte)'F', .. new byte[0x400]],
            "old-protocol" => Image("6.1.192 (builder@host)", protocol: 0x01ff),
            _ => Image("(builder@host) #1"),
        });

        var e = Assert.Throws<UserError>(() => KernelImage.Read(path));
        Assert.Contains(error, e.Message);
        Assert.Contains(path, e.Message);
        Assert.Null(KernelImage.TryRead(path));
    }

    [Fact]
    public void Create_takes_the_release_from_the_first_readable_image_in_ORIG_CONFIG_else_from_its_config()
    {
        using var dir = new TempDir();
        dir.Write(".config", "#\n# Automatically generated file; DO NOT EDIT.\n# Linux/x86 6.1.190 Kernel Configuration\n#\n");
        Assert.Equal(new KernelRelease("6.1.190", ".config in ORIG_CONFIG"), KernelRelease.FromConfigDirectory(dir.Path));

        File.WriteAllBytes(dir["bzImage"], Image("6.1.192 (builder@host) #1"));
        Assert.Equal(new KernelRelease("6.1.192", "bzImage in ORIG_CONFIG"), KernelRelease.FromConfigDirectory(dir.Path));

        // A vmlinuz that is no bzImage is passed over, not taken for the kernel.
        dir.Write("vmlinuz", "#!/bin/sh\n");
        Assert.Equal(new KernelRelease("6.1.192", "bzImage in ORIG_CONFIG"), KernelRelease.FromConfigDirectory(dir.Path));
        File.WriteAllBytes(dir["vmlinuz"], Image("6.1.193 (builder@host) #2"));
        Assert.Equal(new KernelRelease("6.1.193", "vmlinuz in ORIG_CONFIG"), KernelRelease.FromConfigDirectory(dir.Path));
    }

    [Fact]
    public void An_ORIG_CONFIG_without_an_image_or_a_config_header_names_no_release()
    {
        using var dir = new TempDir();
        Assert.Null(KernelRelease.FromConfigDirectory(dir.Path));
        dir.Write(".config", "CONFIG_64BIT=y\n");
        Assert.Null(KernelRelease.FromConfigDirectory(dir.Path));
    }
}
