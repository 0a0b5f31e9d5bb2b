using GitKsplice.Images;
using GitKsplice.Tests.Support;

namespace GitKsplice.Tests.Support;

/// <summary>
/// The real Linux tree the Linux tests share, made once per test run: Debian's linux-source-6.1 committed into a
/// repository; as the running kernel's configuration (ORIG_CONFIG in &lt;tree&gt;/ksplice) x86_64 tinyconfig plus
/// linux-fixture.config (livepatch, a QEMU guest with a network for an ssh server, /proc, printk, BUG and
/// might_sleep checks, one loadable module); the running kernel itself, built the ordinary way from the pre
/// source (no section flags, out of tree), its bzImage and System.map in ORIG_CONFIG and its modules kept; build
/// command `make vmlinux modules` (modules_prepare and Module.symvers, which a livepatch module links against);
/// and the pre state built by `git ksplice create --prebuild` (Kbuild with KCFLAGS="-ffunction-sections -fdata-sections").
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

    /// <summary>
    /// What the running kernel's configuration adds to x86_64 tinyconfig (livepatch, a QEMU guest, networking for
    /// an ssh server, one loadable module), one place for the fixture and anything that builds the same kernel.
    /// </summary>
    public static string ConfigFragment => Path.Combine(AppContext.BaseDirectory, "Support", "linux-fixture.config");

    /// <summary>The running kernel's image (ksplice/bzImage in the repository's working tree).</summary>
    public string KernelImage { get; private set; } = "";

    /// <summary>The running kernel's loadable modules, by their path in its build tree (kernel/configs.ko).</summary>
    public string RunningModules { get; private set; } = "";

    /// <summary>The commit the running kernel is built from, refs/ksplice/pre once the tree is made.</summary>
    public string Base { get; private set; } = "";

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
        repo.Git("config", "gc.auto", "0"); // 80,000 loose objects would start a repack in the background, beside the builds
        Base = repo.Commit("Linux 6.1 (Debian linux-source-6.1)");

        // The running kernel's configuration, made outside the tree. Plain tinyconfig on an x86_64 host is 32-bit,
        // which has no livepatch.
        var config = Path.Combine(_scratch.Path, "config");
        var dotConfig = Path.Combine(config, ".config");
        Run(root, "make", "-s", $"O={config}", "ARCH=x86_64", "tinyconfig");
        Run(root, Path.Combine(root, "scripts", "kconfig", "merge_config.sh"), "-m", "-O", config, dotConfig, ConfigFragment);
        // olddefconfig for the default ARCH (x86, 64-bit from CONFIG_64BIT), as the builds run it: a .config that
        // make would write back with another header ("Linux/x86_64") gives another /proc/config.gz in every build.
        Run(root, "make", "-s", $"O={config}", "olddefconfig");
        var missing = ConfigLines(ConfigFragment).Except(File.ReadLines(dotConfig)).ToList();
        if (missing.Count > 0)
            throw new InvalidOperationException($"olddefconfig dropped {string.Join(", ", missing)} from {ConfigFragment}: add what they depend on");
        Directory.CreateDirectory(repo.Path("ksplice"));
        File.Copy(dotConfig, repo.Path("ksplice/.config"));
        repo.Git("config", "ksplice.buildCommand", "make vmlinux modules");

        // The kernel that runs: built the ordinary way before the prebuild, whose build key covers System.map in
        // ORIG_CONFIG. Its modules are kept for the guests that load them.
        var running = Path.Combine(_scratch.Path, "running");
        Directory.CreateDirectory(running);
        File.Copy(dotConfig, Path.Combine(running, ".config"));
        Run(root, "make", "-s", $"O={running}", $"-j{Environment.ProcessorCount}", "bzImage", "modules");
        File.Copy(Path.Combine(running, "arch/x86/boot/bzImage"), KernelImage = repo.Path("ksplice/bzImage"));
        File.Copy(Path.Combine(running, "System.map"), repo.Path("ksplice/System.map"));
        RunningModules = Path.Combine(_scratch.Path, "modules");
        foreach (var module in Directory.EnumerateFiles(running, "*.ko", SearchOption.AllDirectories))
        {
            var kept = Path.Combine(RunningModules, Path.GetRelativePath(running, module));
            Directory.CreateDirectory(Path.GetDirectoryName(kept)!);
            File.Copy(module, kept);
        }
        Directory.Delete(running, recursive: true);

        // A tinyconfig build takes minutes on two cores, more on a loaded machine.
        var prebuild = ProcessRunner.Run(repo.Root, "git", ["ksplice", "create", "--prebuild"], timeoutMs: 2_400_000);
        if (prebuild.ExitCode != 0) throw new InvalidOperationException("git ksplice create --prebuild failed: " + prebuild.All);
        return repo;
    }

    /// <summary>
    /// A commit on <paramref name="parent"/> whose files are rewritten by <paramref name="edits"/> (each must change
    /// its file), made in an index of its own: the working tree, the index and HEAD stay as they are, so tests that
    /// change the tree do not see each other's changes.
    /// </summary>
    public string CommitOn(string parent, string message, params (string Path, Func<string, string> Edit)[] edits)
    {
        var index = Path.Combine(_scratch.Path, "change.index");
        // A fixed date: the same change is the same commit, and so the same update, in every run.
        var env = new Dictionary<string, string?>
        {
            ["GIT_INDEX_FILE"] = index, ["GIT_AUTHOR_DATE"] = "2026-01-01T00:00:00Z", ["GIT_COMMITTER_DATE"] = "2026-01-01T00:00:00Z",
        };
        string Git(string? stdin, params string[] args)
        {
            var r = ProcessRunner.Run(Repo.Root, "git", args, env, stdin);
            if (r.ExitCode != 0) throw new InvalidOperationException($"git {string.Join(' ', args)} failed: {r.All}");
            return r.StdOut;
        }
        try
        {
            Git(null, "read-tree", parent);
            foreach (var (path, edit) in edits)
            {
                var before = Git(null, "cat-file", "blob", $"{parent}:{path}");
                var after = edit(before);
                if (after == before) throw new InvalidOperationException($"the edit leaves {path} as it is");
                var blob = Git(after, "hash-object", "-w", "--stdin").Trim();
                Git(null, "update-index", "--cacheinfo", $"100644,{blob},{path}");
            }
            var tree = Git(null, "write-tree").Trim();
            return Git(null, "commit-tree", tree, "-p", parent, "-m", message).Trim();
        }
        finally { File.Delete(index); }
    }

    /// <summary>An edit that replaces the one occurrence of <paramref name="text"/>.</summary>
    public static Func<string, string> Replace(string text, string with) => source =>
    {
        var at = source.IndexOf(text, StringComparison.Ordinal);
        if (at < 0 || source.IndexOf(text, at + 1, StringComparison.Ordinal) >= 0)
            throw new InvalidOperationException($"'{text}' is not in the source exactly once");
        return source[..at] + with + source[(at + text.Length)..];
    };

    private static void DropDebianIgnoreRule(string gitignore)
    {
        // Debian's packaging ends the kernel's .gitignore with "/*", which ignores every top-level path.
        var text = File.ReadAllText(gitignore);
        var debian = text.IndexOf("#\n# Debian packaging", StringComparison.Ordinal);
        if (debian >= 0) File.WriteAllText(gitignore, text[..debian]);
    }

    /// <summary>The option lines of a configuration fragment ("CONFIG_X=y", "# CONFIG_Y is not set").</summary>
    public static IEnumerable<string> ConfigLines(string fragment) =>
        File.ReadLines(fragment).Where(l => l.StartsWith("CONFIG_", StringComparison.Ordinal) || (l.StartsWith("# CONFIG_", StringComparison.Ordinal) && l.EndsWith(" is not set", StringComparison.Ordinal)));

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
