using System.Text;

namespace GitKsplice.IO;

public enum EntryKind { File, Directory, SymbolicLink }

/// <summary>One member of an archive. A file's bytes come from <see cref="Open"/>; a link's target is <see cref="LinkTarget"/>.</summary>
public sealed record ArchiveEntry(string Path, EntryKind Kind, int Mode, long Size, Func<Stream>? Open = null, string? LinkTarget = null)
{
    public static ArchiveEntry Directory(string path, int mode = 0b111_101_101) => new(path, EntryKind.Directory, mode, 0);
    public static ArchiveEntry Link(string path, string target) => new(path, EntryKind.SymbolicLink, 0b111_111_111, Encoding.UTF8.GetByteCount(target), LinkTarget: target);
    public static ArchiveEntry Bytes(string path, byte[] bytes, int mode = 0b110_100_100) =>
        new(path, EntryKind.File, mode, bytes.Length, () => new MemoryStream(bytes, writable: false));
}

/// <summary>
/// Writes the SVR4 "newc" cpio format (what `cpio -o -H newc`, and SVR4's `cpio -oc`, make): ASCII headers,
/// so any cpio on the target reads it. Every header field that is not content (inode, owner, time) is fixed
/// by the caller, which makes the bytes depend on the contents only.
/// </summary>
/// <remarks><paramref name="cancel"/> is checked as each member's data is copied: a large tree takes seconds.</remarks>
public sealed class CpioWriter(Stream output, DateTimeOffset entryTime, CancellationToken cancel = default)
{
    private const int TypeFile = 0x8000, TypeDirectory = 0x4000, TypeLink = 0xA000;
    private readonly uint _mtime = (uint)Math.Clamp(entryTime.ToUnixTimeSeconds(), 0, uint.MaxValue);
    private uint _inode;
    private long _position;

    public void Add(ArchiveEntry entry)
    {
        cancel.ThrowIfCancellationRequested();
        var (type, nlink) = entry.Kind switch
        {
            EntryKind.Directory => (TypeDirectory, 2u),
            EntryKind.SymbolicLink => (TypeLink, 1u),
            _ => (TypeFile, 1u),
        };
        if (entry.Size > uint.MaxValue) throw new IOException($"{entry.Path}: larger than the cpio format allows (4 GiB)");
        WriteHeader(entry.Path, ++_inode, (uint)(type | (entry.Mode & 0xFFF)), nlink, (uint)entry.Size);
        if (entry.Kind == EntryKind.SymbolicLink)
            Write(Encoding.UTF8.GetBytes(entry.LinkTarget!));
        else if (entry.Kind == EntryKind.File)
        {
            using var input = entry.Open!();
            long copied = 0;
            var buffer = new byte[81920];
            int n;
            while ((n = input.Read(buffer)) > 0)
            {
                cancel.ThrowIfCancellationRequested();
                copied += n;
                if (copied > entry.Size) break;
                Write(buffer.AsSpan(0, n));
            }
            if (copied != entry.Size) throw new IOException($"{entry.Path}: changed while being archived");
        }
        Pad();
    }

    /// <summary>Ends the archive with the TRAILER!!! member.</summary>
    public void Finish() => WriteHeader("TRAILER!!!", 0, 0, 1, 0);

    private void WriteHeader(string name, uint inode, uint mode, uint nlink, uint size)
    {
        var nameBytes = Encoding.UTF8.GetBytes(name);
        var header = new StringBuilder("070701");
        foreach (var field in new uint[] { inode, mode, 0, 0, nlink, _mtime, size, 0, 0, 0, 0, (uint)nameBytes.Length + 1, 0 })
            header.Append(field.ToString("X8"));
        Write(Encoding.ASCII.GetBytes(header.ToString()));
        Write(nameBytes);
        Write([0]);
        Pad();
    }

    private void Write(ReadOnlySpan<byte> bytes)
    {
        output.Write(bytes);
        _position += bytes.Length;
    }

    private void Pad()
    {
        while (_position % 4 != 0) Write([0]);
    }
}

/// <summary>A member read back from a cpio archive; a file's bytes are in <see cref="Data"/>.</summary>
public sealed record CpioMember(string Name, int Mode, long MTime, uint NLink, byte[] Data)
{
    public EntryKind? Kind => (Mode & 0xF000) switch
    {
        0x8000 => EntryKind.File,
        0x4000 => EntryKind.Directory,
        0xA000 => EntryKind.SymbolicLink,
        _ => null,
    };
    public int Permissions => Mode & 0xFFF;
}

/// <summary>Reads newc ("070701"/"070702") and old portable ("070707") cpio archives, member by member.</summary>
public static class CpioReader
{
    public static IEnumerable<CpioMember> Read(Stream input, string archiveName)
    {
        long position = 0;
        while (true)
        {
            var magic = Encoding.ASCII.GetString(ReadExactly(input, 6, archiveName, ref position));
            string name;
            int mode; long mtime; uint nlink; long size;
            if (magic is "070701" or "070702")
            {
                var header = Encoding.ASCII.GetString(ReadExactly(input, 104, archiveName, ref position));
                uint Field(int i) => ParseNumber(header.Substring(i * 8, 8), 16, archiveName);
                mode = (int)Field(1); nlink = Field(4); mtime = Field(5); size = Field(6);
                var nameSize = (int)Field(11);
                if (nameSize < 1 || nameSize > 4096) throw new InvalidDataException($"{archiveName}: bad name size in a cpio header");
                name = ReadName(input, nameSize, archiveName, ref position);
                Skip(input, Padding(position), archiveName, ref position);
            }
            else if (magic == "070707")
            {
                var header = Encoding.ASCII.GetString(ReadExactly(input, 70, archiveName, ref position));
                mode = (int)ParseNumber(header.Substring(12, 6), 8, archiveName);
                nlink = ParseNumber(header.Substring(30, 6), 8, archiveName);
                mtime = ParseNumber(header.Substring(42, 11), 8, archiveName);
                var nameSize = (int)ParseNumber(header.Substring(53, 6), 8, archiveName);
                size = ParseNumber(header.Substring(59, 11), 8, archiveName);
                if (nameSize < 1 || nameSize > 4096) throw new InvalidDataException($"{archiveName}: bad name size in a cpio header");
                name = ReadName(input, nameSize, archiveName, ref position);
            }
            else throw new InvalidDataException($"{archiveName}: not a cpio archive (bad header at byte {position - 6})");

            if (name == "TRAILER!!!") yield break;
            if (size > int.MaxValue) throw new InvalidDataException($"{archiveName}: member '{name}' is too large to extract ({size} bytes)");
            var data = ReadExactly(input, (int)size, archiveName, ref position);
            if (magic != "070707") Skip(input, Padding(position), archiveName, ref position);
            yield return new CpioMember(name, mode, mtime, nlink, data);
        }
    }

    private static int Padding(long position) => (int)((4 - position % 4) % 4);

    private static string ReadName(Stream input, int size, string archiveName, ref long position)
    {
        var bytes = ReadExactly(input, size, archiveName, ref position);
        return Encoding.UTF8.GetString(bytes, 0, size - 1);
    }

    private static uint ParseNumber(string text, int radix, string archiveName)
    {
        try { return Convert.ToUInt32(text, radix); }
        catch (FormatException) { throw new InvalidDataException($"{archiveName}: bad number '{text}' in a cpio header"); }
    }

    private static void Skip(Stream input, int count, string archiveName, ref long position) =>
        ReadExactly(input, count, archiveName, ref position);

    private static byte[] ReadExactly(Stream input, int count, string archiveName, ref long position)
    {
        var buffer = new byte[count];
        int read = 0;
        while (read < count)
        {
            int n = input.Read(buffer, read, count - read);
            if (n == 0) throw new InvalidDataException($"{archiveName}: truncated cpio archive");
            read += n;
        }
        position += count;
        return buffer;
    }
}
