using System.Formats.Tar;
using GitKsplice.Kstuff.Config;
using GitKsplice.Reporting;

namespace GitKsplice.Kstuff.Targets;

/// <summary>
/// Trees to and from the target as plain ustar streams, which any target's tar reads and writes
/// (no compressor needed there; ssh can compress the wire).
/// </summary>
public static class TreeTar
{
    /// <summary>
    /// Writes the directory <paramref name="root"/> as a ustar stream: sorted (same tree, same bytes
    /// but for times), owned by root, modes kept, links as links. <paramref name="progress"/> gets the
    /// bytes of file data written so far.
    /// </summary>
    public static void Write(string root, Stream output, Action<long>? progress = null)
    {
        using var writer = new TarWriter(output, TarEntryFormat.Ustar, leaveOpen: true);
        long written = 0;
        foreach (var (relative, info) in Walk(root, ""))
        {
            CheckName(relative, root);
            if (info.LinkTarget != null)
            {
                writer.WriteEntry(Owned(new UstarTarEntry(TarEntryType.SymbolicLink, relative) { LinkName = info.LinkTarget }, info));
            }
            else if (info is DirectoryInfo)
            {
                writer.WriteEntry(Owned(new UstarTarEntry(TarEntryType.Directory, relative + "/"), info));
            }
            else
            {
                using var data = File.OpenRead(info.FullName);
                var entry = Owned(new UstarTarEntry(TarEntryType.RegularFile, relative) { DataStream = data }, info);
                writer.WriteEntry(entry);
                written += data.Length;
                progress?.Invoke(written);
            }
        }
    }

    /// <summary>
    /// Writes a configuration tree's files (merged, never written to disk here) as a ustar stream: each
    /// directory once before its first file, owned by root, modes as the tree has them.
    /// </summary>
    public static void Write(IEnumerable<TreeFile> files, Stream output, Action<long>? progress = null)
    {
        using var writer = new TarWriter(output, TarEntryFormat.Ustar, leaveOpen: true);
        var directories = new HashSet<string>(StringComparer.Ordinal);
        var time = DateTimeOffset.UtcNow;
        long written = 0;
        foreach (var file in files.OrderBy(f => f.Path, StringComparer.Ordinal))
        {
            if (file.Path.Any(char.IsControl) || file.Path.StartsWith('/') || file.Path.Split('/').Contains(".."))
                throw new UserError($"cannot send '{file.Path}': not a plain relative name");
            var parts = file.Path.Split('/');
            for (var depth = 1; depth < parts.Length; depth++)
            {
                var dir = string.Join('/', parts[..depth]);
                if (directories.Add(dir))
                    writer.WriteEntry(Owned(new UstarTarEntry(TarEntryType.Directory, dir + "/"), 0b111_101_101, time));
            }
            if (file.IsLink)
            {
                writer.WriteEntry(Owned(new UstarTarEntry(TarEntryType.SymbolicLink, file.Path) { LinkName = file.LinkTarget! }, 0b111_111_111, time));
                continue;
            }
            using var data = file.Content!.Open();
            var mode = file.Mode & 0x1FF;
            writer.WriteEntry(Owned(new UstarTarEntry(TarEntryType.RegularFile, file.Path) { DataStream = data }, mode == 0 ? TreeFile.RegularMode : mode,
                file.Content is DiskFileContent disk ? File.GetLastWriteTimeUtc(disk.FullPath) : time));
            written += data.CanSeek ? data.Length : 0;
            progress?.Invoke(written);
        }
    }

    /// <summary>The bytes of file data in a tree, for progress.</summary>
    public static long Size(IEnumerable<TreeFile> files) => files.Sum(f => f.Content switch
    {
        DiskFileContent disk => new FileInfo(disk.FullPath).Length,
        BytesFileContent bytes => bytes.Bytes.LongLength,
        _ => 0,
    });

    private static UstarTarEntry Owned(UstarTarEntry entry, int mode, DateTimeOffset time)
    {
        entry.Mode = (UnixFileMode)mode;
        entry.Uid = 0;
        entry.Gid = 0;
        entry.UserName = "root";
        entry.GroupName = "root";
        entry.ModificationTime = time;
        return entry;
    }

    /// <summary>The total size of the files under a directory, for progress.</summary>
    public static long Size(string root) =>
        Walk(root, "").Where(e => e.Info is FileInfo { LinkTarget: null }).Sum(e => ((FileInfo)e.Info).Length);

    private static UstarTarEntry Owned(UstarTarEntry entry, FileSystemInfo info)
    {
        entry.Mode = (UnixFileMode)((int)info.UnixFileMode & 0x1FF);
        entry.Uid = 0;
        entry.Gid = 0;
        entry.UserName = "root";
        entry.GroupName = "root";
        entry.ModificationTime = info.LastWriteTimeUtc;
        return entry;
    }

    private static IEnumerable<(string Relative, FileSystemInfo Info)> Walk(string root, string prefix)
    {
        var dir = new DirectoryInfo(prefix.Length == 0 ? root : Path.Combine(root, prefix));
        foreach (var entry in dir.EnumerateFileSystemInfos().OrderBy(e => e.Name, StringComparer.Ordinal))
        {
            var relative = prefix.Length == 0 ? entry.Name : prefix + "/" + entry.Name;
            yield return (relative, entry);
            if (entry is DirectoryInfo && entry.LinkTarget == null)
                foreach (var inner in Walk(root, relative)) yield return inner;
        }
    }

    private static void CheckName(string relative, string root)
    {
        if (relative.Any(c => char.IsControl(c)))
            throw new UserError($"cannot send '{Path.Combine(root, relative)}': control characters in its name");
    }

    /// <summary>
    /// Reads a target's configuration files from a tar stream into memory. Only regular files,
    /// directories and symbolic links are taken; a name that is absolute, climbs with "..", or holds
    /// control characters is refused: the target does not get to write outside what we asked for.
    /// </summary>
    public static List<TreeFile> ReadFiles(Stream input, string targetName)
    {
        var files = new List<TreeFile>();
        using var reader = new TarReader(input, leaveOpen: true);
        TarEntry? entry;
        while ((entry = reader.GetNextEntry()) != null)
        {
            var name = entry.Name;
            while (name.StartsWith("./", StringComparison.Ordinal)) name = name[2..];
            name = name.TrimEnd('/');
            if (name.Length == 0 || name == ".") continue;
            if (name.StartsWith('/') || name.Split('/').Any(p => p is ".." or "") || name.Any(char.IsControl))
                throw new UserError($"{targetName} sent a bad file name in its configuration: '{name.Replace('\n', '?')}'");
            switch (entry.EntryType)
            {
                case TarEntryType.Directory:
                    break;
                case TarEntryType.RegularFile or TarEntryType.V7RegularFile:
                    using (var memory = new MemoryStream())
                    {
                        entry.DataStream?.CopyTo(memory);
                        files.Add(TreeFile.FromBytes(name, memory.ToArray(), TreeSide.Target, (int)entry.Mode & 0xFFF));
                    }
                    break;
                case TarEntryType.SymbolicLink:
                    files.Add(new TreeFile(name, null, TreeFile.RegularMode, TreeSide.Target, entry.LinkName));
                    break;
                default:
                    // Pipes, devices and hard links have no place in a configuration tree we merge.
                    break;
            }
        }
        return files;
    }
}
