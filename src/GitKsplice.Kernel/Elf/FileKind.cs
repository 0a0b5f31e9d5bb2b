using System.Runtime.InteropServices;

namespace GitKsplice.Elf;

/// <summary>
/// What kind of file a path names, found without opening it (statx(2)): opening a FIFO blocks until someone
/// writes to it, so a reader must refuse one before it opens anything.
/// </summary>
internal static unsafe class FileKind
{
    public enum Type { Regular, Directory, Other, Missing }

    private const int AtCurrentDirectory = -100;
    private const uint StatxType = 0x1, StatxSize = 0x200;
    private const int ModeOffset = 28, SizeOffset = 40, BufferSize = 256;
    private const ushort FormatMask = 0xF000, RegularFile = 0x8000, DirectoryFile = 0x4000;

    private static readonly delegate* unmanaged<int, byte*, int, uint, byte*, int> Statx = Find();

    private static delegate* unmanaged<int, byte*, int, uint, byte*, int> Find()
    {
        if (!OperatingSystem.IsLinux() || !NativeLibrary.TryLoad("libc.so.6", out var libc)) return null;
        return NativeLibrary.TryGetExport(libc, "statx", out var statx) ? (delegate* unmanaged<int, byte*, int, uint, byte*, int>)statx : null;
    }

    /// <summary>The kind of file at <paramref name="path"/>, following symbolic links.</summary>
    public static Type Of(string path)
    {
        if (Statx == null) return Directory.Exists(path) ? Type.Directory : File.Exists(path) ? Type.Regular : Type.Missing;
        var buffer = stackalloc byte[BufferSize];
        if (!Stat(path, StatxType, buffer)) return Directory.Exists(path) ? Type.Directory : Type.Missing;
        return (*(ushort*)(buffer + ModeOffset) & FormatMask) switch
        {
            RegularFile => Type.Regular,
            DirectoryFile => Type.Directory,
            _ => Type.Other,
        };
    }

    /// <summary>The size of a regular file in bytes.</summary>
    public static long Length(string path)
    {
        var buffer = stackalloc byte[BufferSize];
        if (Statx != null && Stat(path, StatxSize, buffer)) return *(long*)(buffer + SizeOffset);
        try { return new FileInfo(path).Length; }
        catch (IOException) { return 0; }
    }

    private static bool Stat(string path, uint mask, byte* buffer)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(path + "\0");
        fixed (byte* p = bytes)
            return Statx(AtCurrentDirectory, p, 0, mask, buffer) == 0;
    }
}
