using System.IO.Compression;
using System.Text;
using SharpCompress.Common;
using SharpCompress.Readers;
using SharpCompress.Writers.Tar;

namespace GitKsplice.Updates;

/// <summary>One file to put in an update tarball, under ksplice-&lt;id&gt;/.</summary>
public sealed record ArchiveFile(string Name, Func<Stream> Open);

/// <summary>
/// ksplice-&lt;id&gt;.tar.gz: a directory ksplice-&lt;id&gt;/ with the patch, manifest.json, the pre and post
/// versions of each changed object and modules/. Written deterministically (sorted entries with the manifest
/// last, so a writer can stream the objects while the manifest is made; one fixed timestamp; a gzip header
/// without a time) and atomically (temp file, then rename: <see cref="TarballWriter"/>).
/// </summary>
public static class UpdateArchive
{
    public const string ManifestName = "manifest.json";

    /// <summary>
    /// Writes the tarball to <paramref name="path"/> itself, in the order given, flushed to disk; the caller
    /// owns the temp file and its rename (<see cref="TarballWriter"/>).
    /// </summary>
    public static void WriteTo(string path, string root, IEnumerable<ArchiveFile> files, DateTime timestamp)
    {
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None);
        // .NET's GZipStream writes no modification time in its header, unlike SharpCompress's gzip
        // writer: the same content always gives the same bytes.
        using (var gzip = new GZipStream(stream, CompressionLevel.Optimal, leaveOpen: true))
        using (var tar = new TarWriter(gzip, new TarWriterOptions(CompressionType.None, finalizeArchiveOnClose: true)))
        {
            tar.WriteDirectory(root, timestamp);
            foreach (var file in files)
            {
                using var content = file.Open();
                tar.Write(root + file.Name, content, timestamp);
            }
        }
        stream.Flush(flushToDisk: true);
    }

    /// <summary>Reads every regular file of an update tarball: name (below ksplice-&lt;id&gt;/) → bytes.</summary>
    public static IReadOnlyDictionary<string, byte[]> ReadAll(string path)
    {
        var result = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        try
        {
            using var stream = File.OpenRead(path);
            using var reader = ReaderFactory.OpenReader(stream, new ReaderOptions());
            while (reader.MoveToNextEntry())
            {
                if (reader.Entry.IsDirectory || reader.Entry.Key is not { } key) continue;
                using var buffer = new MemoryStream();
                reader.WriteEntryTo(buffer);
                var slash = key.IndexOf('/');
                result[slash >= 0 ? key[(slash + 1)..] : key] = buffer.ToArray();
            }
        }
        catch (Exception e) when (e is InvalidOperationException or InvalidFormatException or IOException)
        {
            throw new Reporting.UserError($"not a readable update tarball: {path}: {e.Message}");
        }
        return result;
    }

    public static Manifest ReadManifest(string path) =>
        ReadAll(path).TryGetValue(ManifestName, out var bytes)
            ? Manifest.FromJson(Encoding.UTF8.GetString(bytes))
            : throw new Reporting.UserError($"update tarball has no manifest.json: {path}");
}
