namespace GitKsplice.Kstuff.Config;

/// <summary>
/// Files idbuild makes again on every build, and our own bundles: left out of bundles and of trees we read,
/// so a stale kernel or configuration from one machine never reaches another.
/// </summary>
public static class RegeneratedFiles
{
    private static readonly HashSet<string> CfFiles =
    [
        "unix", "config.h", "conf.c", "direct", "ifile", "modlist", "sdevice.new",
        "mdevice", "sdevice", "mfsys", "sfsys", "mtune", "mod_register",
    ];

    private static readonly string[] TopDirectories = ["kstuff.d", "mod.d", "modnew.d"];

    /// <param name="path">Relative to the configuration tree's root, "/"-separated.</param>
    public static bool IsRegenerated(string path)
    {
        var parts = path.Split('/');
        if (TopDirectories.Contains(parts[0])) return true;
        if (parts[0] == "cf.d" && parts.Length == 2)
            return CfFiles.Contains(parts[1]) || parts[1].EndsWith(".o", StringComparison.Ordinal);
        if (parts[0] == "pack.d" && parts.Length == 3)
        {
            var name = parts[2];
            return name.StartsWith("mod_conf.", StringComparison.Ordinal) || name.StartsWith("mod_sec.", StringComparison.Ordinal)
                || name == "mod_reg" || name == "stubs.o" || name == "space.o";
        }
        return false;
    }
}
