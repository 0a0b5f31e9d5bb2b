using GitKsplice.Tests.Support;
using GitKsplice.Updates;

namespace GitKsplice.Tests.Updates;

/// <summary>git ksplice create on the real Linux tree: a one-line change to fs/proc/meminfo.c.</summary>
[Trait(TestCategory.Name, TestCategory.Linux)]
[Collection(LinuxTreeCollection.Name)]
public class LinuxTreeTests
{
    [Fact]
    public void A_one_line_change_to_meminfo_is_an_update_of_meminfo_proc_show()
    {
        var linux = LinuxTree.Shared;
        var repo = linux.Repo;
        Assert.True(File.Exists(repo.Path(".git/ksplice/build/pre-outputs/fs/proc/meminfo.o")));

        var source = File.ReadAllText(repo.Path("fs/proc/meminfo.c"));
        // One line: buffers no longer subtracted from the cached pages (gcc folds "cached < 1" into the same code).
        Assert.Contains("total_swapcache_pages() - i.bufferram;", source);
        File.WriteAllText(repo.Path("fs/proc/meminfo.c"), source.Replace("total_swapcache_pages() - i.bufferram;", "total_swapcache_pages();"));
        var commit = repo.Commit("meminfo: count buffers in Cached");
        var before = UserState.Capture(repo);

        var create = ProcessRunner.Run(repo.Root, "git", ["ksplice", "create", "--id", "meminfo", commit], timeoutMs: 1_800_000);

        Assert.True(create.ExitCode == 0, create.All);
        Assert.Equal(before, UserState.Capture(repo));
        var manifest = UpdateArchive.ReadManifest(repo.Path("ksplice-meminfo.tar.gz"));
        var meminfo = Assert.Single(manifest.Objects);
        Assert.Equal("fs/proc/meminfo.o", meminfo.Path);
        Assert.Equal(["meminfo_proc_show"], meminfo.Changed);
        Assert.Empty(meminfo.Unsafe);
        Assert.StartsWith("KCFLAGS=", manifest.CompilerFlags);
        Assert.Contains("meminfo_proc_show", repo.Git("log", "-1", "--notes=ksplice", commit));
        // Incremental: the post build compiled meminfo.c and not the rest of the kernel.
        var postLog = File.ReadAllLines(repo.Path(".git/ksplice/logs/post-meminfo.log"));
        Assert.Contains(postLog, l => l.Contains("CC") && l.Contains("fs/proc/meminfo.o"));
        Assert.True(postLog.Count(l => l.TrimStart().StartsWith("CC ")) < 10, string.Join('\n', postLog));
        // From Kbuild's records, as a single-object target: no relink of vmlinux (issue 17).
        // The targets are what differs from the state the tree was last built at, which other tests of the
        // collection may have left elsewhere: meminfo.o among single objects, never vmlinux or modules.
        var targets = postLog[0].Split(' ');
        Assert.True(targets[..2] is ["$", "make"] && targets[2..].All(t => t.EndsWith(".o", StringComparison.Ordinal))
            && targets.Contains("fs/proc/meminfo.o"), postLog[0] + "\n" + create.All);
        Assert.DoesNotContain(postLog, l => l.TrimStart().StartsWith("LD ") && l.TrimEnd().EndsWith("vmlinux"));
    }
}
