using GitKsplice.Git;

namespace GitKsplice.Cli.Commands;

/// <summary>Completion of driver names (-n, -N, -Y): the Master files of the source tree being merged or delivered.</summary>
internal static class DriverNames
{
    public static IEnumerable<string> Complete(ValueKind kind, IReadOnlyList<string> positional)
    {
        if (kind != ValueKind.Driver) return [];
        // git kstuff merge SOURCE-TREE ...: the tree on the command line; otherwise $ROOT/$MACH's etc/conf.
        var trees = positional.Take(1).Select(Path.GetFullPath).ToList();
        if (SourceTree() is { } conf) trees.Add(conf);
        foreach (var tree in trees)
        {
            var master = Path.Combine(tree, "mdevice.d");
            if (Directory.Exists(master))
                return Directory.GetFiles(master).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal);
        }
        return [];
    }

    private static string? SourceTree()
    {
        var git = new GitCli(Environment.CurrentDirectory);
        string? Setting(string env, string key) =>
            Environment.GetEnvironmentVariable(env) is { Length: > 0 } v ? v
            : git.TryRun(["config", "--get", key]) is { Succeeded: true } r ? r.StdOut.Trim() : null;
        var root = Setting("ROOT", "kstuff.root");
        var mach = Setting("MACH", "kstuff.mach");
        return root == null || mach == null ? null : Path.Combine(root, mach, "etc", "conf");
    }
}
