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
        var layout = repository.Layout;
        if (!Directory.Exists(layout.Root)) return ([], 0);
        // Each part of the layout with the files that go with it (a build tree's index, state and copies).
        var named = layout.Parts().Select(p => (p.Name, p.Path, Members: p.Companions.Prepend(p.Path).ToList())).ToList();
        // Everything else (state files of other kinds, locks, the compiler wrapper, pending records) is "other".
        var known = named.SelectMany(n => n.Members).Append(layout.BuildDir).ToHashSet(StringComparer.Ordinal);
        var others = Directory.EnumerateFileSystemEntries(layout.Root)
            .Concat(Directory.Exists(layout.BuildDir) ? Directory.EnumerateFileSystemEntries(layout.BuildDir) : [])
            .Where(p => !known.Contains(p)).ToList();
        var sizes = Sizes(named.SelectMany(n => n.Members).Concat(others).ToList());
        var parts = named.Select(n => new StateUsage(n.Name, n.Path, n.Members.Sum(sizes.GetValueOrDefault))).ToList();
        var other = others.Sum(sizes.GetValueOrDefault);
        if (other > 0) parts.Add(new StateUsage("other", layout.Root, other));
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
