namespace GitKsplice.Kstuff.Config;

/// <summary>
/// Everything a configuration tree holds for one driver: its Master, System and Node files, and the files
/// it owns elsewhere (pack.d/&lt;name&gt;/*, mtune.d/&lt;name&gt; and the like), each possibly absent.
/// </summary>
public sealed record DriverConfig(string Name, MasterFile? Master, SystemFile? System, NodeFile? Node,
    IReadOnlyList<TreeFile> Files, TreeSide Origin)
{
    /// <summary>Directories whose entries are named after the driver that owns them (pack.d holds a directory).</summary>
    public static IReadOnlyList<string> OwnedDirectories { get; } = ["pack.d", "mtune.d", "dtune.d", "autotune.d", "mfsys.d", "sfsys.d"];

    /// <summary>Hardware as the man page means it: $dversion or characteristic b, c or h in the Master file.</summary>
    public bool IsHardware => Master?.IsHardware ?? false;

    /// <summary>This driver under another name: file names, pack.d directory and module fields all follow.</summary>
    public DriverConfig Renamed(string name)
    {
        if (name == Name) return this;
        var files = Files.Select(f => f.WithPath(RenameOwnedPath(f.Path, Name, name))).ToList();
        return this with
        {
            Name = name,
            Master = Master?.WithEntries(e => e.Name == Name ? e with { Name = name } : e),
            System = System?.WithModuleName(Name, name),
            Node = Node?.WithModuleName(Name, name),
            Files = files,
        };
    }

    private static string RenameOwnedPath(string path, string from, string to)
    {
        var parts = path.Split('/');
        if (parts.Length >= 2 && parts[1] == from) parts[1] = to;
        return string.Join('/', parts);
    }
}
