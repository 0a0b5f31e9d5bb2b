using System.IO.Compression;
using GitKsplice.IO;

namespace GitKsplice.Vm;

/// <summary>One file put into a guest's initramfs.</summary>
public sealed record GuestFile(string Path, byte[] Bytes, bool Executable = false);

/// <summary>
/// The whole root file system of a throwaway guest: a gzip-compressed newc cpio (what the kernel unpacks into
/// its rootfs) holding a static busybox as /bin/busybox, the given files and /init. There is no /dev/console
/// node in it (cpio writing needs no root this way): /init mounts devtmpfs and takes its console from there.
/// </summary>
public static class Initramfs
{
    private static readonly string[] Directories = ["bin", "dev", "proc", "sys", "tmp"];

    public static void Write(string path, string busybox, string init, IEnumerable<GuestFile> files)
    {
        using var output = File.Create(path);
        using var gzip = new GZipStream(output, CompressionLevel.Fastest);
        var cpio = new CpioWriter(gzip, DateTimeOffset.UnixEpoch);
        var made = new HashSet<string>(StringComparer.Ordinal);
        void Directory(string dir)
        {
            if (dir.Length == 0 || !made.Add(dir)) return;
            Directory(System.IO.Path.GetDirectoryName(dir) ?? "");
            cpio.Add(ArchiveEntry.Directory(dir));
        }
        foreach (var dir in Directories) Directory(dir);
        var busyboxBytes = File.ReadAllBytes(busybox);
        cpio.Add(ArchiveEntry.Bytes("bin/busybox", busyboxBytes, Executable));
        cpio.Add(ArchiveEntry.Link("bin/sh", "busybox"));
        foreach (var file in files)
        {
            var relative = file.Path.TrimStart('/');
            Directory(System.IO.Path.GetDirectoryName(relative) ?? "");
            cpio.Add(ArchiveEntry.Bytes(relative, file.Bytes, file.Executable ? Executable : ReadOnly));
        }
        cpio.Add(ArchiveEntry.Bytes("init", System.Text.Encoding.UTF8.GetBytes(init), Executable));
        cpio.Finish();
    }

    private const int Executable = 0b111_101_101, ReadOnly = 0b110_100_100;
}
