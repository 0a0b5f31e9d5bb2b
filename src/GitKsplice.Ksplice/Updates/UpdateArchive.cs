using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using GitKsplice.Reporting;

namespace GitKsplice.Updates;

/// <summary>One file to put in an update tarball, under ksplice-&lt;id&gt;/.</summary>
public sealed record ArchiveFile(string Name, Func<Stream> Open);

/// <summary>
/// ksplice-&lt;id&gt;.tar.gz: a directory ksplice-&lt;id&gt;/ with the patch, manifest.json, the pre and post
/// versions of each changed object and modules/. Written deterministically (sorted entries with the manifest
/// last, so a writer can stream the objects while the manifest is made; one fixed timestamp; a gzip header
/// without a time), atomically (temp file, then rename: <see cref="TarballWriter"/>), with the modes of files
/// nobody else may change (0644, the directory 0755, owned by root), and with member names exactly the
/// repository's paths: a GNU tar keeps every byte of a long name or one with a backslash.
/// </summary>
public static class UpdateArchive
{
    public const string ManifestName = "manifest.json";
    private const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
    private const UnixFileMode DirectoryMode = FileMode | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;

    /// <summary>
    /// Writes the tarball to <paramref name="path"/> itself, in the order given, flushed to disk; the caller
    /// owns the temp file and its rename (<see cref="TarballWriter"/>).
    /// </summary>
    public static void WriteTo(string path, string root, IEnumerable<ArchiveFile> files, DateTime timestamp)
    {
        using var stream = new FileStream(path, System.IO.FileMode.Create, FileAccess.Write, FileShare.None);
        // .NET's GZipStream writes no modification time in its header: the same content always gives the same bytes.
        using (var gzip = new GZipStream(stream, CompressionLevel.Optimal, leaveOpen: true))
        using (var tar = new TarWriter(gzip, TarEntryFormat.Gnu, leaveOpen: true))
        {
            tar.WriteEntry(Entry(TarEntryType.Directory, root, DirectoryMode, timestamp));
            foreach (var file in files)
            {
                using var content = file.Open();
                var entry = Entry(TarEntryType.RegularFile, root + file.Name, FileMode, timestamp);
                entry.DataStream = content;
                tar.WriteEntry(entry);
            }
        }
        stream.Flush(flushToDisk: true);
    }

    private static GnuTarEntry Entry(TarEntryType type, string name, UnixFileMode mode, DateTime timestamp)
    {
        var time = new DateTimeOffset(DateTime.SpecifyKind(timestamp, DateTimeKind.Utc));
        return new(type, name) { Mode = mode, ModificationTime = time, AccessTime = time, ChangeTime = time, UserName = "root", GroupName = "root" };
    }

    /// <summary>
    /// The bytes of member <paramref name="name"/> (below ksplice-&lt;id&gt;/), or null when there is none. Only that
    /// member is read into memory; a member larger than an update holds by its header (or than
    /// <paramref name="maxBytes"/>, for this one) is refused before a byte of it is read.
    /// </summary>
    public static byte[]? ReadMember(string path, string name, long maxBytes)
    {
        byte[]? found = null;
        Read(path, (member, entry) =>
        {
            if (member != name) return true;
            found = Contents(path, member, entry, maxBytes);
            return false;
        });
        return found;
    }

    /// <summary>Reads every regular file of an update tarball: name (below ksplice-&lt;id&gt;/) → bytes, each bounded as <see cref="ReadMember"/> bounds it.</summary>
    public static IReadOnlyDictionary<string, byte[]> ReadAll(string path)
    {
        var result = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        Read(path, (member, entry) =>
        {
            result[member] = Contents(path, member, entry, UpdateTarball.MaxModuleBytes);
            return true;
        });
        return result;
    }

    public static Manifest ReadManifest(string path) =>
        ReadMember(path, ManifestName, UpdateTarball.MaxManifestBytes) is { } bytes
            ? Manifest.FromJson(Encoding.UTF8.GetString(bytes), $"manifest.json of {path}")
            : throw new UserError($"update tarball has no manifest.json: {path}");

    /// <summary>Walks the regular files of the tarball, each named below ksplice-&lt;id&gt;/, while <paramref name="visit"/> says go on.</summary>
    private static void Read(string path, Func<string, TarEntry, bool> visit)
    {
        try
        {
            using var stream = File.OpenRead(path);
            using var gzip = new GZipStream(stream, CompressionMode.Decompress);
            using var reader = new TarReader(gzip);
            while (reader.GetNextEntry() is { } entry)
            {
                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile)) continue;
                var slash = entry.Name.IndexOf('/');
                var member = slash >= 0 ? entry.Name[(slash + 1)..] : entry.Name;
                if (entry.Length > UpdateTarball.MaxModuleBytes) throw TooLarge(path, member, entry.Length, UpdateTarball.MaxModuleBytes);
                if (!visit(member, entry)) return;
            }
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or IOException)
        {
            throw new UserError($"not a readable update tarball: {path}: {e.Message}");
        }
    }

    private static byte[] Contents(string path, string member, TarEntry entry, long maxBytes)
    {
        if (entry.Length > maxBytes) throw TooLarge(path, member, entry.Length, maxBytes);
        using var buffer = new MemoryStream((int)entry.Length);
        entry.DataStream?.CopyTo(buffer);
        return buffer.ToArray();
    }

    private static UserError TooLarge(string path, string member, long size, long maxBytes) =>
        new($"update tarball {path}: member {Quoted.Name(member)} is {size} bytes, more than an update holds ({maxBytes})");
}
