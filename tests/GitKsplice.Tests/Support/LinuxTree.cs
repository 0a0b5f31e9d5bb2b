using GitKsplice.Tests.Support;

namespace GitKsplice.Tests.Support;

/// <summary>
/// The real Linux tree the Linux tests share, made once per test run: Debian's linux-source-6.1 committed into a
/// repository, tinyconfig plus CONFIG_64BIT, CONFIG_PROC_FS, printk, BUG and might_sleep checks as the running kernel's configuration
/// (ORIG_CONFIG in &lt;tree&gt;/ksplice), build command `make vmlinux`, and the pre state built by
/// `git ksplice create --prebuild` (Kbuild with KCFLAGS="-ffunction-sections -fdata-sections").
/// </summary>
public sealed class LinuxTree
{
    public const string SourceTarball = "/usr/src/linux-source-6.1.tar.xz";
    private static readonly Lazy<LinuxTree> Instance = new(() => new LinuxTree(), LazyThreadSafetyMode.ExecutionAndPublication);

    public static LinuxTree Shared => Instance.Value;

    /// <summary>Removes the shared tree (about 3 GB) if this run made it.</summary>
    public static void RemoveShared()
    {
        if (Instance.IsValueCreated) Instance.Value._scratch.Dispose();
    }

    private readonly TempDir _scratch = new();

    public TestRepo Repo { get; }

    /// <summary>The configured, built tree git ksplice builds in (under the git dir).</summary>
    public string BuildTree => Repo.Path(".git/ksplice/build/tree");

    private LinuxTree()
    {
        if (!File.Exists(SourceTarball))
            throw new InvalidOperationException($"{SourceTarball} is missing: scripts/install-test-deps.sh installs linux-source-6.1");
        try { Repo = Make(); }
        catch
        {
            _scratch.Dispose(); // a tree that failed to build is not left behind either
            throw;
        }
    }

    private TestRepo Make()
    {
        Run(_scratch.Path, "tar", "xf", SourceTarball);
        var root = Path.Combine(_scratch.Path, "linux-source-6.1");
        var repo = TestRepo.At(root);
        DropDebianIgnoreRule(repo.Path(".gitignore"));
        repo.Commit("Linux 6.1 (Debian linux-source-6.1)");

        // The running kernel's configuration, made outside the tree.
        var config = Path.Combine(_scratch.Path, "config");
        Run(root, "make", "-s", $"O={config}", "tinyconfig");
        Run(root, Path.Combine(root, "scripts", "config"), "--file", Path.Combine(config, ".config"), "--enable", "CONFIG_64BIT", "--enable", "CONFIG_PROC_FS",
            // printk, BUG and might_sleep give the analysis real __LINE__ arguments to tell apart from code changes.
            "--enable", "CONFIG_PRINTK", "--enable", "CONFIG_BUG", "--enable", "CONFIG_DEBUG_KERNEL", "--enable", "CONFIG_DEBUG_ATOMIC_SLEEP");
        Run(root, "make", "-s", $"O={config}", "olddefconfig");
        Directory.CreateDirectory(repo.Path("ksplice"));
        File.Copy(Path.Combine(config, ".config"), repo.Path("ksplice/.config"));
        repo.Git("config", "ksplice.buildCommand", "make vmlinux");

        // A tinyconfig build takes minutes on two cores, more on a loaded machine.
        var prebuild = ProcessRunner.Run(repo.Root, "git", ["ksplice", "create", "--prebuild"], timeoutMs: 2_400_000);
        if (prebuild.ExitCode != 0) throw new InvalidOperationException("git ksplice create --prebuild failed: " + prebuild.All);
        return repo;
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
        var r = ProcessRunner.Run(dir, file, args, timeoutMs: 1_800_000);
        if (r.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed: {r.All}");
    }
}

/// <summary>Tests on the shared Linux tree run one after another: they build in the same tree.</summary>
[CollectionDefinition(Name)]
public sealed class LinuxTreeCollection : ICollectionFixture<LinuxTreeRemoval>
{
    public const string Name = "Linux tree";
}

/// <summary>
/// Removes the shared tree once the collection's tests are done. A handler on process exit did not: the test
/// host is ended before such handlers run, and every test run left its 3 GB tree in the temp directory.
/// </summary>
public sealed class LinuxTreeRemoval : IDisposable
{
    public void Dispose() => LinuxTree.RemoveShared();
}
