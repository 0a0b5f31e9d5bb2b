using GitKsplice.Cli;
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
    public string StateDir => Path.Combine(CommonDir, "ksplice");

    private KspliceRepository(Repository repo)
    {
        Repo = repo;
        GitDir = Path.TrimEndingDirectorySeparator(repo.Info.Path);
        WorkDir = repo.Info.WorkingDirectory is { } wd ? Path.TrimEndingDirectorySeparator(wd) : null;
        Git = new GitCli(WorkDir ?? GitDir);
        CommonDir = FindCommonDir(GitDir);
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
    /// Finds the repository the way git does (GIT_DIR, .git files of linked worktrees, bare repositories,
    /// safe.directory), by asking git itself: libgit2's discovery returns nothing in the native (AOT) build.
    /// </summary>
    public static KspliceRepository Discover(string startDirectory)
    {
        var found = new GitCli(startDirectory).TryRun(["rev-parse", "--absolute-git-dir"]);
        if (!found.Succeeded)
        {
            var reason = found.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? "";
            throw new UserError(reason.Contains("not a git repository") || reason.Length == 0
                ? $"not a git repository (or any of the parent directories): {startDirectory}"
                : reason.StartsWith("fatal: ") ? reason["fatal: ".Length..] : reason);
        }
        return new KspliceRepository(new Repository(found.StdOut.Trim()));
    }

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
