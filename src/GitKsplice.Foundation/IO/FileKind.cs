using System.Runtime.InteropServices;
using GitKsplice.Reporting;

namespace GitKsplice.IO;

/// <summary>What a directory entry is, as lstat(2) says (.NET reports a FIFO or a device as a plain file).</summary>
public enum FileKind { Missing, Regular, Directory, SymbolicLink, Fifo, CharacterDevice, BlockDevice, Socket }

/// <summary>
/// The type of a file before it is opened: opening a FIFO for reading blocks until a writer comes, in a
/// thread no signal can stop, so every input that could be one is checked first.
/// </summary>
public static partial class FileKinds
{
    /// <summary>
    /// The entry itself, or with <paramref name="followLinks"/> what a symbolic link (and a link it points to)
    /// leads to, as a reader that opens the path will find it.
    /// </summary>
    public static unsafe FileKind Of(string path, bool followLinks = false)
    {
        // struct statx is the same on every architecture: stx_mode is the u16 at offset 28 of 256 bytes.
        var buffer = stackalloc byte[256];
        if (Statx(AtFdCwd, path, followLinks ? 0 : AtSymlinkNoFollow, StatxType, buffer) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno is ENoEnt or ENotDir) return FileKind.Missing;
            throw new IOException($"cannot inspect '{path}': {Marshal.GetPInvokeErrorMessage(errno)}");
        }
        return (*(ushort*)(buffer + 28) & 0xF000) switch
        {
            0x8000 => FileKind.Regular,
            0x4000 => FileKind.Directory,
            0xA000 => FileKind.SymbolicLink,
            0x1000 => FileKind.Fifo,
            0x2000 => FileKind.CharacterDevice,
            0x6000 => FileKind.BlockDevice,
            _ => FileKind.Socket,
        };
    }

    /// <summary>The size in bytes of the file a path leads to (after links); 0 when it cannot be inspected.</summary>
    public static unsafe long Length(string path)
    {
        // stx_size is the u64 at offset 40.
        var buffer = stackalloc byte[256];
        return Statx(AtFdCwd, path, 0, StatxSize, buffer) == 0 ? *(long*)(buffer + 40) : 0;
    }

    /// <summary>Refuses anything but a file, a directory or a link, naming <paramref name="path"/> and what it is.</summary>
    public static FileKind RequireOrdinary(string path, string why)
    {
        var kind = Of(path);
        return kind is FileKind.Fifo or FileKind.CharacterDevice or FileKind.BlockDevice or FileKind.Socket
            ? throw new UserError($"'{path}' is {Describe(kind)}: {why}")
            : kind;
    }

    /// <summary>Refuses anything but a regular file (after links): what is read as input must not block or never end.</summary>
    public static void RequireRegularFile(string path, string what)
    {
        var kind = Of(path);
        if (kind == FileKind.SymbolicLink)
            kind = File.ResolveLinkTarget(path, returnFinalTarget: true) is { } target ? Of(target.FullName) : FileKind.Missing;
        if (kind == FileKind.Regular) return;
        throw new UserError(kind == FileKind.Missing ? $"{what} '{path}' does not exist" : $"{what} '{path}' is {Describe(kind)}, not a file");
    }

    public static string Describe(FileKind kind) => kind switch
    {
        FileKind.Fifo => "a FIFO (named pipe)",
        FileKind.CharacterDevice => "a character device",
        FileKind.BlockDevice => "a block device",
        FileKind.Socket => "a socket",
        FileKind.Directory => "a directory",
        FileKind.SymbolicLink => "a symbolic link",
        FileKind.Missing => "missing",
        _ => "a file",
    };

    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxType = 0x1, StatxSize = 0x200;
    private const int ENoEnt = 2;
    private const int ENotDir = 20;

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int Statx(int dirfd, string path, int flags, uint mask, byte* buffer);
}
