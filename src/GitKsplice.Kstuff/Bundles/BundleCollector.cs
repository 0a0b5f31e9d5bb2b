using GitKsplice.IO;
using GitKsplice.Kstuff.Config;
using GitKsplice.Reporting;

namespace GitKsplice.Kstuff.Bundles;

/// <summary>What goes into a bundle, in archive order, and what it says about itself.</summary>
/// <param name="Skipped">Dangling links left out, one message each.</param>
public sealed record BundleContents(IReadOnlyList<ArchiveEntry> Entries, IReadOnlyList<string> Drivers, IReadOnlyList<string> Skipped)
{
    public int FileCount => Entries.Count(e => e.Kind != EntryKind.Directory);
}

/// <summary>
/// kbundle's collection step: the installed part of a build tree ($ROOT/$MACH) becomes the members of a bundle.
/// The bundle's root is the new configuration tree: etc/conf's files (minus what idbuild regenerates and our
/// own kstuff.d), the kernel headers of usr/include under include.d/, and with -T the idtools under bin/.
/// </summary>
public static class BundleCollector
{
    public const string IncludeDirectory = "include.d";
    private const int DirectoryMode = TreeFile.ExecutableMode;

    public static string ConfDir(string machineTree) => Path.Combine(machineTree, "etc", "conf");
    public static string IncludeDir(string machineTree) => Path.Combine(machineTree, "usr", "include");

    /// <param name="machineTree">$ROOT/$MACH.</param>
    /// <param name="idtools">-T: include the idtools.</param>
    /// <param name="crossIdtools">Where the cross environment keeps idtools, used when the tree has none.</param>
    /// <param name="bundlePath">The bundle being built: never packed into itself, wherever a database puts it.</param>
    public static BundleContents Collect(string machineTree, bool idtools, string? crossIdtools, string? bundlePath = null)
    {
        var self = bundlePath == null ? null : Path.GetFullPath(bundlePath);
        var conf = ConfDir(machineTree);
        if (!Directory.Exists(conf))
            throw new UserError($"no kernel configuration tree at '{conf}' (run \"make -f unix.mk headinstall install\" first)");
        var include = IncludeDir(machineTree);
        if (!Directory.Exists(include))
            throw new UserError($"no kernel include files at '{include}' (run \"make -f unix.mk headinstall\" first)");

        // Parsing validates every Master, System and Node file now, not on the target.
        var drivers = ConfigTree.Load(conf).Drivers.Keys.ToList();

        var entries = new List<ArchiveEntry>();
        var skipped = new List<string>();
        void Add(string root, string relative, string archivePath, FileSystemInfo info)
        {
            if (info.FullName == self) return;
            if (Entry(root, relative, archivePath, info) is { } entry) entries.Add(entry);
            else skipped.Add($"left out '{Path.Combine(root, relative)}': a symbolic link to '{info.LinkTarget}', which does not exist");
        }
        var treeTools = false;
        foreach (var (relative, info) in WalkWithDirectories(conf, "", RegeneratedFiles.IsRegenerated))
        {
            if (RegeneratedFiles.IsRegenerated(relative)) continue;
            if (relative == "bin" || relative.StartsWith("bin/", StringComparison.Ordinal))
            {
                if (!idtools) continue;
                if (relative != "bin" && !IsIdtool(relative["bin/".Length..])) continue;
                if (relative != "bin") treeTools = true;
            }
            Add(conf, relative, relative, info);
        }
        if (idtools && !treeTools)
        {
            if (crossIdtools == null || !Directory.Exists(crossIdtools))
                throw new UserError($"-T: no idtools in '{Path.Combine(conf, "bin")}' and no cross-environment idtools " +
                    (crossIdtools == null ? "(set $TOOLS, kstuff.idtools or --idtools)" : $"at '{crossIdtools}'"));
            var found = new DirectoryInfo(crossIdtools).EnumerateFiles().Where(f => IsIdtool(f.Name)).ToList();
            if (found.Count == 0) throw new UserError($"-T: no idtools (id*) in '{crossIdtools}'");
            if (!entries.Any(e => e.Path == "bin")) entries.Add(ArchiveEntry.Directory("bin", DirectoryMode));
            foreach (var tool in found) Add(crossIdtools, tool.Name, "bin/" + tool.Name, tool);
        }
        entries.Add(ArchiveEntry.Directory(IncludeDirectory, DirectoryMode));
        foreach (var (relative, info) in WalkWithDirectories(include, "", _ => false))
            Add(include, relative, IncludeDirectory + "/" + relative, info);

        entries.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path));
        return new BundleContents(entries, drivers, skipped);
    }

    /// <summary>The newest pack.d/*/Driver.o of the tree, which a bundle must not be older than.</summary>
    public static DateTime? NewestDriverObject(string machineTree)
    {
        var pack = Path.Combine(ConfDir(machineTree), "pack.d");
        if (!Directory.Exists(pack)) return null;
        DateTime? newest = null;
        foreach (var dir in Directory.EnumerateDirectories(pack))
        {
            var driver = new FileInfo(Path.Combine(dir, "Driver.o"));
            if (driver.Exists && (newest == null || driver.LastWriteTimeUtc > newest)) newest = driver.LastWriteTimeUtc;
        }
        return newest;
    }

    private static bool IsIdtool(string name) => name.StartsWith("id", StringComparison.Ordinal) && !name.Contains('/');

    /// <summary>The archive member for one file, or null for a dangling link that leaves the tree (useless on the target).</summary>
    private static ArchiveEntry? Entry(string root, string relative, string archivePath, FileSystemInfo info)
    {
        if (info.LinkTarget != null && StaysInside(relative, info.LinkTarget)) return ArchiveEntry.Link(archivePath, info.LinkTarget);
        if (info.LinkTarget != null)
        {
            // A link that leaves the tree is replaced by what it points to (WalkWithDirectories walks a directory's contents).
            var resolved = info.ResolveLinkTarget(returnFinalTarget: true);
            if (resolved is not (FileInfo { Exists: true } or DirectoryInfo { Exists: true })) return null;
            info = resolved;
        }
        if (info is DirectoryInfo) return ArchiveEntry.Directory(archivePath, DirectoryMode);
        var path = info.FullName;
        FileKinds.RequireOrdinary(path, ConfigTree.OnlyOrdinaryFiles);
        var executable = !OperatingSystem.IsWindows() && (info.UnixFileMode & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0;
        return new ArchiveEntry(archivePath, EntryKind.File, executable ? TreeFile.ExecutableMode : TreeFile.RegularMode, ((FileInfo)info).Length, () => File.OpenRead(path));
    }

    private static bool StaysInside(string relative, string target)
    {
        if (target.StartsWith('/')) return false;
        var depth = relative.Split('/').Length - 1;
        foreach (var part in target.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (part == ".") continue;
            depth += part == ".." ? -1 : 1;
            if (depth < 0) return false;
        }
        return true;
    }

    /// <summary>
    /// Every file and directory under <paramref name="root"/> with its tree-relative path, parents first.
    /// A directory reached through a link that leaves the tree is walked too, once (a cycle of links ends there).
    /// </summary>
    private static IEnumerable<(string Relative, FileSystemInfo Info)> WalkWithDirectories(string root, string prefix, Func<string, bool> skip,
        string? physical = null, HashSet<string>? visited = null)
    {
        visited ??= new HashSet<string>(StringComparer.Ordinal) { Path.GetFullPath(root) };
        var dir = new DirectoryInfo(physical ?? (prefix.Length == 0 ? root : Path.Combine(root, prefix)));
        foreach (var entry in dir.EnumerateFileSystemInfos().OrderBy(e => e.Name, StringComparer.Ordinal))
        {
            var relative = prefix.Length == 0 ? entry.Name : prefix + "/" + entry.Name;
            yield return (relative, entry);
            if (skip(relative)) continue;
            if (entry is DirectoryInfo && entry.LinkTarget == null)
                foreach (var inner in WalkWithDirectories(root, relative, skip, entry.FullName, visited)) yield return inner;
            else if (entry.LinkTarget != null && !StaysInside(relative, entry.LinkTarget)
                && entry.ResolveLinkTarget(returnFinalTarget: true) is DirectoryInfo { Exists: true } target && visited.Add(target.FullName))
                foreach (var inner in WalkWithDirectories(root, relative, skip, target.FullName, visited)) yield return inner;
        }
    }
}
