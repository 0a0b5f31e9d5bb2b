using System.IO.Compression;
using GitKsplice.IO;
using GitKsplice.Reporting;

namespace GitKsplice.Kstuff.Bundles;

/// <summary>
/// A bundle file: a gzip-compressed newc cpio archive. Written atomically (temporary file, flush, rename);
/// read back whether gzip-compressed or plain; extracted without ever writing outside the destination.
/// </summary>
public static class BundleArchive
{
    /// <summary>
    /// Writes <paramref name="entries"/> in the order given to <paramref name="path"/>, replacing it only when complete;
    /// cancelled (SIGTERM, ^C), it stops within a member and removes its temporary file. Returns the SHA-256 of
    /// the bundle, read back before it takes its place, so that a bundle in place always has its hash.
    /// </summary>
    public static string Write(string path, IEnumerable<ArchiveEntry> entries, DateTimeOffset entryTime, CancellationToken cancel = default)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temporary = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.tmp-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write))
            {
                using (var gzip = new GZipStream(file, CompressionLevel.Optimal, leaveOpen: true))
                using (var buffered = new BufferedStream(gzip, 1 << 16))
                {
                    var cpio = new CpioWriter(buffered, entryTime, cancel);
                    foreach (var entry in entries) cpio.Add(entry);
                    cpio.Finish();
                }
                file.Flush(flushToDisk: true);
            }
            var sha256 = Sha256Of(temporary, cancel);
            File.Move(temporary, full, overwrite: true);
            return sha256;
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    /// <summary>The SHA-256 of a file as lower-case hex, read in chunks so that <paramref name="cancel"/> stops it.</summary>
    public static string Sha256Of(string path, CancellationToken cancel = default)
    {
        using var stream = File.OpenRead(path);
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 20];
        int n;
        while ((n = stream.Read(buffer)) > 0)
        {
            cancel.ThrowIfCancellationRequested();
            hash.AppendData(buffer, 0, n);
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>The members of a bundle, decompressing it when it is gzip-compressed.</summary>
    public static IEnumerable<CpioMember> Read(string path)
    {
        GitKsplice.IO.FileKinds.RequireRegularFile(path, "bundle");
        using var file = File.OpenRead(path);
        var head = new byte[2];
        int n = file.Read(head);
        file.Position = 0;
        if (n == 2 && head[0] == 0x1F && head[1] == 0x9D)
            throw new UserError($"bundle '{path}' is compressed with compress(1); uncompress it and gzip it instead");
        Stream input = n == 2 && head[0] == 0x1F && head[1] == 0x8B ? new GZipStream(file, CompressionMode.Decompress) : file;
        using (input)
        {
            using var members = CpioReader.Read(new BufferedStream(input, 1 << 16), path).GetEnumerator();
            while (true)
            {
                // A truncated or corrupt bundle is the user's problem to fix, named in one line.
                try { if (!members.MoveNext()) yield break; }
                catch (InvalidDataException e) { throw new UserError(e.Message); }
                yield return members.Current;
            }
        }
    }

    /// <summary>
    /// Extracts a bundle into <paramref name="destination"/> (which must not exist or be empty). Refuses
    /// absolute names, "..", device nodes, hard links, symbolic links whose target lies outside the destination,
    /// and members that would be written through a symbolic link. Extraction happens beside the destination
    /// and is renamed into place, so a refused bundle leaves nothing behind. Returns the paths extracted.
    /// Cancelled (SIGTERM, ^C), it stops within a member and leaves what it extracted beside the destination to
    /// the caller, whose directory that is: removing hundreds of MB would keep the command from stopping.
    /// </summary>
    public static IReadOnlyList<string> Extract(string bundlePath, string destination, CancellationToken cancel = default)
    {
        var dest = Path.GetFullPath(destination);
        if (Directory.Exists(dest) && Directory.EnumerateFileSystemEntries(dest).Any())
            throw new UserError($"refusing to extract into '{destination}': it is not empty");
        var parent = Path.GetDirectoryName(dest)!;
        Directory.CreateDirectory(parent);
        var staging = Path.Combine(parent, $".{Path.GetFileName(dest)}.tmp-{Environment.ProcessId}-{Guid.NewGuid():N}");
        var extracted = new List<string>();
        try
        {
            Directory.CreateDirectory(staging);
            foreach (var member in Read(bundlePath))
            {
                cancel.ThrowIfCancellationRequested();
                var name = CheckedName(bundlePath, member.Name);
                if (name == null) continue;
                var kind = member.Kind ?? throw Refuse(bundlePath, member.Name, "is neither a file, a directory nor a symbolic link");
                var full = Path.Combine(staging, name);
                EnsureNoLinkOnTheWay(bundlePath, staging, name);
                switch (kind)
                {
                    case EntryKind.Directory:
                        if (File.Exists(full) || (Directory.Exists(full) && new DirectoryInfo(full).LinkTarget != null))
                            throw Refuse(bundlePath, member.Name, "is a directory where the bundle already put something else");
                        Directory.CreateDirectory(full);
                        break;
                    case EntryKind.SymbolicLink:
                        var target = System.Text.Encoding.UTF8.GetString(member.Data);
                        CheckLinkTarget(bundlePath, name, target);
                        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
                        RemoveExisting(bundlePath, member.Name, full);
                        File.CreateSymbolicLink(full, target);
                        break;
                    default:
                        if (member.NLink > 1) throw Refuse(bundlePath, member.Name, "is a hard link");
                        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
                        RemoveExisting(bundlePath, member.Name, full);
                        File.WriteAllBytes(full, member.Data);
                        break;
                }
                if (kind != EntryKind.SymbolicLink && !OperatingSystem.IsWindows())
                    File.SetUnixFileMode(full, (UnixFileMode)(member.Permissions & 0x1FF | (kind == EntryKind.Directory ? 0x1C0 : 0x180)));
                extracted.Add(name);
            }
            if (Directory.Exists(dest)) Directory.Delete(dest);
            Directory.Move(staging, dest);
            return extracted;
        }
        catch
        {
            if (!cancel.IsCancellationRequested && Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
            throw;
        }
    }

    private static UserError Refuse(string bundle, string member, string why) =>
        new($"bundle '{bundle}': member '{member}' {why}: refused");

    /// <summary>The member's path relative to the destination, or null for the root itself.</summary>
    private static string? CheckedName(string bundle, string raw)
    {
        if (raw.Contains('\0')) throw Refuse(bundle, raw, "has a NUL in its name");
        if (raw.StartsWith('/')) throw Refuse(bundle, raw, "has an absolute path");
        var parts = raw.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(p => p != ".").ToList();
        if (parts.Contains("..")) throw Refuse(bundle, raw, "has \"..\" in its path");
        return parts.Count == 0 ? null : string.Join('/', parts);
    }

    private static void CheckLinkTarget(string bundle, string name, string target)
    {
        if (target.Length == 0 || target.StartsWith('/')) throw Refuse(bundle, name, $"is a symbolic link to '{target}', outside the destination");
        var depth = name.Split('/').Length - 1; // directories between the destination and the link
        foreach (var part in target.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (part == ".") continue;
            depth += part == ".." ? -1 : 1;
            if (depth < 0) throw Refuse(bundle, name, $"is a symbolic link to '{target}', outside the destination");
        }
    }

    // A symbolic link extracted earlier must never redirect a later member: each directory on the way must be real.
    private static void EnsureNoLinkOnTheWay(string bundle, string root, string name)
    {
        var parts = name.Split('/');
        var current = root;
        for (int i = 0; i < parts.Length - 1; i++)
        {
            current = Path.Combine(current, parts[i]);
            var info = new FileInfo(current);
            if (info.LinkTarget != null) throw Refuse(bundle, name, $"would be written through the symbolic link '{string.Join('/', parts[..(i + 1)])}'");
            if (info.Exists) throw Refuse(bundle, name, $"needs '{string.Join('/', parts[..(i + 1)])}' to be a directory");
        }
    }

    private static void RemoveExisting(string bundle, string member, string full)
    {
        var info = new FileInfo(full);
        if (info.LinkTarget != null || info.Exists) { info.Delete(); return; }
        if (Directory.Exists(full)) throw Refuse(bundle, member, "would replace a directory");
    }
}
