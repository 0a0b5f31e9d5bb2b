using GitKsplice.Git;
using GitKsplice.Processes;

namespace GitKsplice.Build;

/// <summary>Disk used by one part of $GIT_COMMON_DIR/ksplice (bytes actually allocated, as du counts them).</summary>
public sealed record StateUsage(string Name, string Path, long Bytes);

/// <summary>
/// What git-ksplice keeps under the git dir and how much disk each part uses: the build trees, the build
/// logs, the manifests of recorded updates, the hook's per-commit runs. Measured by one `du` run, which
/// counts a file hard-linked into two trees once.
/// </summary>
public static class StateDiskUsage
{
    /// <summary>The parts that exist (each build tree, then logs, updates, hook, other) and the total.</summary>
    public static (IReadOnlyList<StateUsage> Parts, long Total) Measure(KspliceRepository repository)
    {
        var state = repository.StateDir;
        if (!Directory.Exists(state)) return ([], 0);
        var named = new List<(string Name, string Path)>();
        var buildDir = Path.Combine(state, "build");
        if (Directory.Exists(buildDir))
            foreach (var dir in Directory.EnumerateDirectories(buildDir).Order(StringComparer.Ordinal))
                named.Add(("build/" + Path.GetFileName(dir), dir));
        foreach (var name in new[] { "logs", "updates", "hook" })
            if (Directory.Exists(Path.Combine(state, name))) named.Add((name, Path.Combine(state, name)));
        // Everything else (indexes, state files, locks, the compiler wrapper) is "other".
        var known = named.Select(n => n.Path).Append(buildDir).ToHashSet(StringComparer.Ordinal);
        var others = Directory.EnumerateFileSystemEntries(state)
            .Concat(Directory.Exists(buildDir) ? Directory.EnumerateFiles(buildDir) : [])
            .Where(p => !known.Contains(p)).ToList();
        var sizes = Sizes(named.Select(n => n.Path).Concat(others).ToList());
        var parts = named.Select(n => new StateUsage(n.Name, n.Path, sizes.GetValueOrDefault(n.Path))).ToList();
        var other = others.Sum(sizes.GetValueOrDefault);
        if (other > 0) parts.Add(new StateUsage("other", state, other));
        return (parts, parts.Sum(p => p.Bytes));
    }

    /// <summary>
    /// The disk used under each path, by one `du` run: a file reached from two paths (a source file
    /// hard-linked into the pre and post trees) counts once, for the first.
    /// </summary>
    public static Dictionary<string, long> Sizes(IReadOnlyList<string> paths)
    {
        var sizes = new Dictionary<string, long>(StringComparer.Ordinal);
        var existing = paths.Where(p => Directory.Exists(p) || File.Exists(p)).Distinct().ToList();
        if (existing.Count == 0) return sizes;
        var r = CommandRunner.Run("/", "du", ["-s", "-k", "--", .. existing]);
        // du still prints what it could measure when a file vanished meanwhile.
        foreach (var line in r.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var tab = line.IndexOf('\t');
            if (tab > 0 && long.TryParse(line[..tab], out var kib)) sizes[line[(tab + 1)..]] = kib * 1024;
        }
        return sizes;
    }

    /// <summary>"1.2 GiB", "340 MiB", "12 KiB".</summary>
    public static string Human(long bytes)
    {
        string[] units = ["bytes", "KiB", "MiB", "GiB", "TiB"];
        double value = bytes;
        var unit = 0;
        while (value >= 1024 && unit < units.Length - 1) { value /= 1024; unit++; }
        return unit == 0 ? $"{bytes} bytes" : value >= 100 ? $"{value:0} {units[unit]}" : $"{value:0.0} {units[unit]}";
    }
}
