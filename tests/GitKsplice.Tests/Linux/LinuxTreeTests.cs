using GitKsplice.Tests.Support;
using GitKsplice.Updates;

namespace GitKsplice.Tests.Linux;

/// <summary>
/// git ksplice create on the real Linux tree: Debian's linux-source-6.1 committed into a repository,
/// tinyconfig plus CONFIG_PROC_FS as the running kernel's configuration (ORIG_CONFIG), built by Kbuild
/// with KCFLAGS, and a one-line change to fs/proc/meminfo.c.
/// </summary>
public class LinuxTreeTests
{
    private const string SourceTarball = "/usr/src/linux-source-6.1.tar.xz";

    [Fact]
    [Trait("Category", "Linux")]
    public void A_one_line_change_to_meminfo_is_an_update_of_meminfo_proc_show()
    {
        Assert.True(File.Exists(SourceTarball), $"{SourceTarball} is missing: scripts/install-test-deps.sh installs linux-source-6.1");
        using var scratch = new TempDir();
        Run(scratch.Path, "tar", "xf", SourceTarball);
        var root = Path.Combine(scratch.Path, "linux-source-6.1");
        using var repo = TestRepo.At(root);
        DropDebianIgnoreRule(repo.Path(".gitignore"));
        repo.Commit("Linux 6.1 (Debian linux-source-6.1)");

        // The running kernel's configuration: tinyconfig with /proc, made outside the tree.
        var config = Path.Combine(scratch.Path, "config");
        Run(root, "make", "-s", $"O={config}", "tinyconfig");
        Run(root, "./scripts/config", "--file", Path.Combine(config, ".config"), "--enable", "CONFIG_64BIT", "--enable", "CONFIG_PROC_FS");
        Run(root, "make", "-s", $"O={config}", "olddefconfig");
        Directory.CreateDirectory(repo.Path("ksplice"));
        File.Copy(Path.Combine(config, ".config"), repo.Path("ksplice/.config"));
        repo.Git("config", "ksplice.buildCommand", "make vmlinux");

        var prebuild = repo.Ksplice("create", "--prebuild");
        Assert.True(prebuild.ExitCode == 0, prebuild.All);
        Assert.True(File.Exists(repo.Path(".git/ksplice/build/pre-outputs/fs/proc/meminfo.o")));

        var source = File.ReadAllText(repo.Path("fs/proc/meminfo.c"));
        // One line: buffers no longer subtracted from the cached pages (gcc folds "cached < 1" into the same code).
        Assert.Contains("total_swapcache_pages() - i.bufferram;", source);
        File.WriteAllText(repo.Path("fs/proc/meminfo.c"), source.Replace("total_swapcache_pages() - i.bufferram;", "total_swapcache_pages();"));
        var commit = repo.Commit("meminfo: count buffers in Cached");
        var before = UserState.Capture(repo);

        var create = repo.Ksplice("create", "--id", "meminfo", "--json", commit);

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
    }

    private static void DropDebianIgnoreRule(string gitignore)
    {
        // Debian's packaging ends the kernel's .gitignore with "/*", which ignores every top-level path.
        var text = File.ReadAllText(gitignore);
        var debian = text.IndexOf("#\n# Debian packaging", StringComparison.Ordinal);
        if (debian >= 0) File.WriteAllText(gitignore, text[..debian]);
    }

    private static void Run(string dir, string file, params string[] args)
    {
        var r = ProcessRunner.Run(dir, file, args, timeoutMs: 900_000);
        Assert.True(r.ExitCode == 0, $"{file} {string.Join(' ', args)} failed: {r.All}");
    }
}
