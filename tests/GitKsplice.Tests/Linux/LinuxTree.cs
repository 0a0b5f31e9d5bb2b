using GitKsplice.Tests.Support;

namespace GitKsplice.Tests.Linux;

/// <summary>
/// The real Linux tree the Linux tests share, made once per test run: Debian's linux-source-6.1 committed into a
/// repository, tinyconfig plus CONFIG_64BIT and CONFIG_PROC_FS as the running kernel's configuration
/// (ORIG_CONFIG in &lt;tree&gt;/ksplice), build command `make vmlinux`, and the pre state built by
/// `git ksplice create --prebuild` (Kbuild with KCFLAGS="-ffunction-sections -fdata-sections").
/// </summary>
public sealed class LinuxTree
{
    public const string SourceTarball = "/usr/src/linux-source-6.1.tar.xz";
    private static readonly Lazy<LinuxTree> Instance = new(() => new LinuxTree(), LazyThreadSafetyMode.ExecutionAndPublication);

    public static LinuxTree Shared => Instance.Value;

    public TestRepo Repo { get; }

    /// <summary>The configured, built tree git ksplice builds in (under the git dir).</summary>
    public string BuildTree => Repo.Path(".git/ksplice/build/tree");

    private LinuxTree()
    {
        if (!File.Exists(SourceTarball))
            throw new InvalidOperationException($"{SourceTarball} is missing: scripts/install-test-deps.sh installs linux-source-6.1");
        var scratch = new TempDir();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => scratch.Dispose();
        Run(scratch.Path, "tar", "xf", SourceTarball);
        var root = Path.Combine(scratch.Path, "linux-source-6.1");
        Repo = TestRepo.At(root);
        DropDebianIgnoreRule(Repo.Path(".gitignore"));
        Repo.Commit("Linux 6.1 (Debian linux-source-6.1)");

        // The running kernel's configuration, made outside the tree.
        var config = Path.Combine(scratch.Path, "config");
        Run(root, "make", "-s", $"O={config}", "tinyconfig");
        Run(root, Path.Combine(root, "scripts", "config"), "--file", Path.Combine(config, ".config"), "--enable", "CONFIG_64BIT", "--enable", "CONFIG_PROC_FS");
        Run(root, "make", "-s", $"O={config}", "olddefconfig");
        Directory.CreateDirectory(Repo.Path("ksplice"));
        File.Copy(Path.Combine(config, ".config"), Repo.Path("ksplice/.config"));
        Repo.Git("config", "ksplice.buildCommand", "make vmlinux");

        var prebuild = Repo.Ksplice("create", "--prebuild");
        if (prebuild.ExitCode != 0) throw new InvalidOperationException("git ksplice create --prebuild failed: " + prebuild.All);
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
public sealed class LinuxTreeCollection
{
    public const string Name = "Linux tree";
}
