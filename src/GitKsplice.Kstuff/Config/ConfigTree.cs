using GitKsplice.IO;
using GitKsplice.Reporting;

namespace GitKsplice.Kstuff.Config;

/// <summary>
/// An ID/TP kernel configuration tree (what lives under /etc/conf, or in an extracted bundle): drivers with
/// their Master/System/Node files, cf.d/res_major, and every other file kept as it is (init.d, rc.d, sd.d,
/// cf.d, bin, interface.d, include.d…). Immutable; <see cref="Load"/> reads a directory, <see cref="Write"/>
/// writes one, and an unchanged tree writes back byte for byte.
/// </summary>
public sealed class ConfigTree
{
    public const string ResMajorPath = "cf.d/res_major";

    public IReadOnlyDictionary<string, DriverConfig> Drivers { get; }
    public ResMajorFile? ResMajor { get; }
    /// <summary>Files that belong to no driver, sorted by path.</summary>
    public IReadOnlyList<TreeFile> OtherFiles { get; }

    public ConfigTree(IEnumerable<DriverConfig> drivers, ResMajorFile? resMajor, IEnumerable<TreeFile> otherFiles)
    {
        var byName = new SortedDictionary<string, DriverConfig>(StringComparer.Ordinal);
        foreach (var driver in drivers)
            if (!byName.TryAdd(driver.Name, driver))
                throw new ArgumentException($"driver '{driver.Name}' given twice", nameof(drivers));
        Drivers = byName;
        ResMajor = resMajor;
        OtherFiles = otherFiles.OrderBy(f => f.Path, StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// Reads the tree rooted at <paramref name="confDir"/> (the directory holding mdevice.d). Files idbuild
    /// regenerates are skipped. A malformed Master, System, Node or res_major file is a
    /// <see cref="ConfigFormatException"/> naming the file and line; <paramref name="displayName"/> maps a tree
    /// path to that name (by default the file's path on disk).
    /// </summary>
    public static ConfigTree Load(string confDir, TreeSide origin = TreeSide.Source, Func<string, string>? displayName = null)
    {
        if (!Directory.Exists(confDir))
            throw new UserError($"configuration tree '{confDir}' does not exist");
        var root = Path.GetFullPath(confDir);
        var files = new List<TreeFile>();
        foreach (var (relative, info) in Walk(root, ""))
        {
            if (RegeneratedFiles.IsRegenerated(relative)) continue;
            if (info.LinkTarget != null)
                files.Add(new TreeFile(relative, null, TreeFile.RegularMode, origin, info.LinkTarget));
            else
                files.Add(new TreeFile(relative, new DiskFileContent(info.FullName), ModeOf(info), origin));
        }
        return FromFiles(files, origin, displayName ?? (file => Path.Combine(root, file)));
    }

    /// <summary>
    /// Builds a tree from files already listed (say, read from a remote host): parses the Master, System,
    /// Node and res_major files and sorts the rest by owner. <paramref name="displayName"/> maps a tree path
    /// to the name used in error messages.
    /// </summary>
    public static ConfigTree FromFiles(IEnumerable<TreeFile> files, TreeSide origin, Func<string, string>? displayName = null)
    {
        displayName ??= p => p;
        var masters = new Dictionary<string, MasterFile>(StringComparer.Ordinal);
        var systems = new Dictionary<string, SystemFile>(StringComparer.Ordinal);
        var nodes = new Dictionary<string, TreeFile>(StringComparer.Ordinal);
        var owned = new List<(string Owner, TreeFile File)>();
        var other = new List<TreeFile>();
        ResMajorFile? resMajor = null;

        foreach (var file in files)
        {
            var parts = file.Path.Split('/');
            string Text() => ConfigFile.Encoding.GetString(file.Content!.ReadAllBytes());
            bool isConfig = parts.Length == 2 && !file.IsLink && file.Content != null;
            if (isConfig && parts[0] == "mdevice.d")
                masters[parts[1]] = MasterFile.Parse(displayName(file.Path), Text());
            else if (isConfig && parts[0] == "sdevice.d")
                systems[parts[1]] = SystemFile.Parse(displayName(file.Path), Text());
            else if (isConfig && parts[0] == "node.d")
                nodes[parts[1]] = file;
            else if (isConfig && file.Path == ResMajorPath)
                resMajor = ResMajorFile.Parse(displayName(file.Path), Text());
            else if (parts.Length >= 2 && DriverConfig.OwnedDirectories.Contains(parts[0]) && (parts[0] == "pack.d") == (parts.Length >= 3))
                owned.Add((parts[1], file));
            else
                other.Add(file);
        }

        var names = new SortedSet<string>(masters.Keys.Concat(systems.Keys), StringComparer.Ordinal);
        foreach (var (owner, _) in owned.Where(o => o.File.Path.StartsWith("pack.d/", StringComparison.Ordinal)))
            names.Add(owner);

        var ownedBy = owned.ToLookup(o => o.Owner, o => o.File, StringComparer.Ordinal);
        var drivers = new List<DriverConfig>();
        foreach (var name in names)
        {
            NodeFile? node = null;
            if (nodes.Remove(name, out var nodeFile))
                node = NodeFile.Parse(displayName(nodeFile.Path), ConfigFile.Encoding.GetString(nodeFile.Content!.ReadAllBytes()));
            drivers.Add(new DriverConfig(name, masters.GetValueOrDefault(name), systems.GetValueOrDefault(name), node,
                ownedBy[name].OrderBy(f => f.Path, StringComparer.Ordinal).ToList(),
                origin));
        }
        // Node files and tunables of names that are no driver here stay as plain files.
        other.AddRange(nodes.Values);
        other.AddRange(owned.Where(o => !names.Contains(o.Owner)).Select(o => o.File));
        return new ConfigTree(drivers, resMajor, other);
    }

    /// <summary>Every file of the tree, sorted by path; parsed files rendered as they are now.</summary>
    public IEnumerable<TreeFile> Files()
    {
        var all = new List<TreeFile>(OtherFiles);
        foreach (var driver in Drivers.Values)
        {
            if (driver.Master != null) all.Add(Rendered("mdevice.d/" + driver.Name, driver.Master, driver.Origin));
            if (driver.System != null) all.Add(Rendered("sdevice.d/" + driver.Name, driver.System, driver.Origin));
            if (driver.Node != null) all.Add(Rendered("node.d/" + driver.Name, driver.Node, driver.Origin));
            all.AddRange(driver.Files);
        }
        if (ResMajor != null) all.Add(Rendered(ResMajorPath, ResMajor, TreeSide.Merged));
        return all.OrderBy(f => f.Path, StringComparer.Ordinal);
    }

    private static TreeFile Rendered(string path, ConfigFile file, TreeSide origin) => TreeFile.FromBytes(path, file.ToBytes(), origin);

    /// <summary>
    /// Writes the tree into <paramref name="confDir"/>, which must not exist or be empty. The tree is written
    /// beside it first and renamed into place, so a failure leaves nothing half-written.
    /// </summary>
    public void Write(string confDir)
    {
        var target = Path.GetFullPath(confDir);
        if (Directory.Exists(target) && Directory.EnumerateFileSystemEntries(target).Any())
            throw new UserError($"refusing to write a configuration tree into '{confDir}': it is not empty");
        var parent = Path.GetDirectoryName(target)!;
        Directory.CreateDirectory(parent);
        var staging = Path.Combine(parent, $".{Path.GetFileName(target)}.tmp-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            Directory.CreateDirectory(staging);
            var created = new HashSet<string>(StringComparer.Ordinal);
            foreach (var file in Files())
            {
                var full = Path.Combine(staging, file.Path);
                if (created.Add(Path.GetDirectoryName(full)!)) Directory.CreateDirectory(Path.GetDirectoryName(full)!);
                if (file.IsLink)
                {
                    File.CreateSymbolicLink(full, file.LinkTarget!);
                    continue;
                }
                if (file.Content is DiskFileContent disk)
                    File.Copy(disk.FullPath, full);   // the kernel copies (copy_file_range), no trip through our buffers
                else
                    using (var input = file.Content!.Open())
                    using (var output = File.Create(full))
                        input.CopyTo(output);
                if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(full, (UnixFileMode)file.Mode);
            }
            if (Directory.Exists(target)) Directory.Delete(target);
            Directory.Move(staging, target);
        }
        catch
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
            throw;
        }
    }

    /// <summary>Why a FIFO or a device in a tree is refused: reading one would block or never end.</summary>
    public const string OnlyOrdinaryFiles = "a kernel configuration tree holds only files, directories and symbolic links";

    internal static IEnumerable<(string Relative, FileSystemInfo Info)> Walk(string root, string prefix)
    {
        var dir = new DirectoryInfo(prefix.Length == 0 ? root : Path.Combine(root, prefix));
        foreach (var entry in dir.EnumerateFileSystemInfos().OrderBy(e => e.Name, StringComparer.Ordinal))
        {
            var relative = prefix.Length == 0 ? entry.Name : prefix + "/" + entry.Name;
            if (entry is DirectoryInfo && entry.LinkTarget == null)
            {
                foreach (var inner in Walk(root, relative)) yield return inner;
                continue;
            }
            if (entry.LinkTarget == null) FileKinds.RequireOrdinary(entry.FullName, OnlyOrdinaryFiles);
            yield return (relative, entry);
        }
    }

    internal static int ModeOf(FileSystemInfo info) =>
        OperatingSystem.IsWindows() ? TreeFile.RegularMode : (int)info.UnixFileMode & 0xFFF;
}
