using GitKsplice.Kstuff.Options;
using GitKsplice.Reporting;
using GitKsplice.Settings;

namespace GitKsplice.Cli.Commands;

/// <summary>Completion of driver names (-n, -N, -Y): the Master files of the source tree being merged or delivered.</summary>
internal static class DriverNames
{
    public static IEnumerable<string> Complete(ValueKind kind, string workingDirectory, IReadOnlyList<string> positional)
    {
        if (kind != ValueKind.Driver) return [];
        // git kstuff merge SOURCE-TREE ...: the tree on the command line; otherwise $ROOT/$MACH's etc/conf.
        var trees = positional.Take(1).Select(tree => Path.GetFullPath(tree, workingDirectory)).ToList();
        if (SourceTree(workingDirectory) is { } conf) trees.Add(conf);
        foreach (var tree in trees)
        {
            var master = Path.Combine(tree, "mdevice.d");
            if (Directory.Exists(master))
                return Directory.GetFiles(master).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal);
        }
        return [];
    }

    /// <summary>$ROOT/$MACH/etc/conf as the commands find it; none when git config cannot be read (completion stays quiet).</summary>
    private static string? SourceTree(string workingDirectory)
    {
        try
        {
            var config = ConfigSnapshot.Read(workingDirectory);
            return config.Get(KstuffConfigKeys.Root) is { } root && config.Get(KstuffConfigKeys.Mach) is { } mach ? Path.Combine(root, mach, "etc", "conf") : null;
        }
        catch (UserError) { return null; }
    }
}
