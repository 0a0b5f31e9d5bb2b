using GitKsplice.Reporting;
using GitKsplice.Settings;
using LibGit2Sharp;

namespace GitKsplice.Git;

/// <summary>The user's repository as git-ksplice sees it: objects and refs through libgit2, plus our own state dir.</summary>
public sealed class KspliceRepository : IDisposable
{
    public Repository Repo { get; }
    /// <summary>The git dir of this worktree (HEAD lives here).</summary>
    public string GitDir { get; }
    /// <summary>The git dir shared by every worktree: refs, notes and our build trees live here.</summary>
    public string CommonDir { get; }
    /// <summary>The user's working tree, or null in a bare repository.</summary>
    public string? WorkDir { get; }
    public GitCli Git { get; }

    /// <summary>Everything git-ksplice keeps: build trees, logs, locks, manifests.</summary>
    public string StateDir => Layout.Root;
    /// <summary>Every path under <see cref="StateDir"/>.</summary>
    public StateLayout Layout { get; }

    private KspliceRepository(Repository repo, Task<ConfigSnapshot> config)
    {
        _config = config;
        Repo = repo;
        GitDir = Path.TrimEndingDirectorySeparator(repo.Info.Path);
        WorkDir = repo.Info.WorkingDirectory is { } wd ? Path.TrimEndingDirectorySeparator(wd) : null;
        Git = new GitCli(WorkDir ?? GitDir);
        CommonDir = FindCommonDir(GitDir);
        Layout = new StateLayout(Path.Combine(CommonDir, "ksplice"));
        NoSpace.Watch(StateDir);
        NoSpace.Watch(CommonDir);
    }

    /// <summary>
    /// The common dir the way git finds it (GIT_COMMON_DIR, else the gitdir's "commondir" file, else the
    /// gitdir itself), read here rather than asked of `git rev-parse`: every command opens the repository,
    /// and a process spawn would be most of a read command's time.
    /// </summary>
    internal static string FindCommonDir(string gitDir)
    {
        if (Environment.GetEnvironmentVariable("GIT_COMMON_DIR") is { Length: > 0 } fromEnv)
            return Path.TrimEndingDirectorySeparator(Path.GetFullPath(fromEnv));
        var file = Path.Combine(gitDir, "commondir");
        if (!File.Exists(file)) return gitDir;
        var common = File.ReadAllText(file).Trim();
        return common.Length == 0 ? gitDir : Path.TrimEndingDirectorySeparator(Path.GetFullPath(common, gitDir));
    }

    /// <summary>
    /// Finds the repository the way git does and opens it. A plain layout (a .git directory or file in the
    /// start directory or a parent, or a bare repository) is found here without starting a program; anything
    /// git decides by its environment (GIT_DIR, GIT_CEILING_DIRECTORIES, …) is asked of git itself.
    /// libgit2's own discovery returns nothing in the native (AOT) build.
    /// </summary>
    /// <param name="config">The command's settings when it has read them already; else they are read here, once.</param>
    public static KspliceRepository Discover(string startDirectory, ConfigSnapshot? config = null)
    {
        var gitDir = FindGitDir(startDirectory) ?? new GitCli(startDirectory).FindGitDirectory() ?? throw GitCli.NotARepository(startDirectory);
        // git config runs while libgit2 loads and opens the repository: every command reads settings right after.
        // It gets a thread of its own: the pool's few threads may still be loading libgit2 and OpenSSL.
        var settings = config != null ? Task.FromResult(config) : Task.Factory.StartNew(() => ConfigSnapshot.Read(startDirectory),
            CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        if (_libgit2 != null) _libgit2.GetAwaiter().GetResult();
        else LoadLibgit2();
        return new KspliceRepository(new Repository(gitDir), settings);
    }

    private readonly Task<ConfigSnapshot> _config;
    private static Task? _libgit2;

    /// <summary>
    /// Loads libgit2 on another thread now, for a program that will open a repository once it has parsed its
    /// command line: loading and initialising it (it loads OpenSSL) takes about 2 ms. (Starting git config
    /// now as well gains nothing: on two cores the three start-ups only slow each other.)
    /// </summary>
    public static void Preload() => _libgit2 ??= Task.Run(LoadLibgit2);

    /// <summary>
    /// Loads libgit2 by its first call: the trees and commits we write (notes, synthetic post commits) refer
    /// only to objects just read or written, and libgit2's check that each one exists costs a lookup per entry.
    /// </summary>
    private static void LoadLibgit2() => GlobalSettings.SetEnableStrictObjectCreation(false);

    /// <summary>The command's settings: git config as git sees it (system, global, the common and the worktree config, -c) and the environment, read once.</summary>
    public ConfigSnapshot Config => _config.GetAwaiter().GetResult();

    private static readonly string[] DiscoveryVariables =
        ["GIT_DIR", "GIT_WORK_TREE", "GIT_COMMON_DIR", "GIT_CEILING_DIRECTORIES", "GIT_DISCOVERY_ACROSS_FILESYSTEM"];

    private static string? FindGitDir(string startDirectory)
    {
        if (DiscoveryVariables.Any(v => Environment.GetEnvironmentVariable(v) != null)) return null;
        for (var dir = new DirectoryInfo(Path.GetFullPath(startDirectory)); dir != null; dir = dir.Parent)
        {
            var dotGit = Path.Combine(dir.FullName, ".git");
            if (Directory.Exists(dotGit)) return IsGitDir(dotGit) ? dotGit : null;
            if (File.Exists(dotGit)) return null; // a linked worktree or submodule: git reads the gitdir: line
            if (IsGitDir(dir.FullName)) return dir.FullName; // a bare repository
        }
        return null;
    }

    private static bool IsGitDir(string dir) =>
        File.Exists(Path.Combine(dir, "HEAD")) && Directory.Exists(Path.Combine(dir, "objects")) && Directory.Exists(Path.Combine(dir, "refs"));


    /// <summary>Resolves a revision to a commit, or fails naming it.</summary>
    public Commit ResolveCommit(string revision)
    {
        try
        {
            if (Repo.Lookup(revision)?.Peel<Commit>() is { } commit) return commit;
        }
        catch (LibGit2SharpException) { }
        catch (ArgumentException) { }
        throw new UserError($"unknown commit: '{revision}'");
    }

    public Commit? TryResolveRef(string refName) =>
        Repo.Refs[refName]?.ResolveToDirectReference()?.Target as Commit;

    public void Dispose() => Repo.Dispose();
}
