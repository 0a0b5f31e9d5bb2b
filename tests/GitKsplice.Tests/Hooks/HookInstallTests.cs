using GitKsplice.Hooks;
using GitKsplice.Tests.Support;

namespace GitKsplice.Tests.Hooks;

/// <summary>git ksplice hooks install | uninstall | status on real repositories with hooks of their own.</summary>
[Trait(TestCategory.Name, TestCategory.EndToEnd)]
public class HookInstallTests
{
    private const string OriginalHook = "#!/bin/sh\n# the team's own post-commit hook\necho \"original $*\" >> \"$(git rev-parse --git-dir)/original-ran\"\nexit 3\n";

    [Fact]
    public void The_scripts_shipped_in_hooks_are_what_install_writes()
    {
        using var repo = new TestRepo();
        var install = repo.Ksplice("hooks", "install");
        Assert.True(install.ExitCode == 0, install.All);

        var shipped = Path.Combine(GitKsplice.Tests.Cli.InstalledTools.RepositoryRoot, "hooks");
        Assert.Equal(HookScript.Names.Order(StringComparer.Ordinal), Directory.GetFiles(shipped).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        foreach (var name in HookScript.Names)
        {
            Assert.Equal(File.ReadAllBytes(Path.Combine(shipped, name)), File.ReadAllBytes(repo.Path($".git/hooks/{name}")));
            Assert.NotEqual(UnixFileMode.None, File.GetUnixFileMode(Path.Combine(shipped, name)) & UnixFileMode.UserExecute);
        }
    }

    [Fact]
    public void Install_into_core_hooksPath_chains_the_existing_hook_and_uninstall_restores_it_byte_for_byte()
    {
        using var repo = CTree.Create();
        repo.Git("config", "core.hooksPath", "team-hooks");
        var original = repo.Write("team-hooks/post-commit", OriginalHook);
        File.SetUnixFileMode(original, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute);
        var originalBytes = File.ReadAllBytes(original);
        var originalMode = File.GetUnixFileMode(original);
        repo.Git("config", "ksplice.hook.mode", "off");

        var install = repo.Ksplice("hooks", "install");

        Assert.True(install.ExitCode == 0, install.All);
        Assert.Contains(repo.Path("team-hooks"), install.StdErr);
        foreach (var name in HookScript.Names)
            Assert.Equal(HookScript.Text, File.ReadAllText(repo.Path($"team-hooks/{name}")));
        Assert.False(File.Exists(repo.Path(".git/hooks/post-commit")));
        Assert.Equal(originalBytes, File.ReadAllBytes(repo.Path("team-hooks/post-commit.ksplice-chained")));

        // git runs the chained hook on commit, with its arguments; run directly, its exit status comes through.
        repo.Write("main.c", CTree.Main.Replace("> 100", "> 101") + "\n");
        repo.Commit("a commit runs the original hook");
        Assert.Equal("original \n", File.ReadAllText(repo.Path(".git/original-ran")));
        var direct = ProcessRunner.Run(repo.Root, repo.Path("team-hooks/post-commit"), []);
        Assert.Equal(3, direct.ExitCode);

        var status = repo.Ksplice("hooks", "status");
        Assert.Contains("post-commit   installed, chained to post-commit.ksplice-chained", status.StdOut);

        var uninstall = repo.Ksplice("hooks", "uninstall");

        Assert.True(uninstall.ExitCode == 0, uninstall.All);
        Assert.Equal(originalBytes, File.ReadAllBytes(original));
        Assert.Equal(originalMode, File.GetUnixFileMode(original));
        Assert.Equal(["post-commit"], Directory.GetFiles(repo.Path("team-hooks")).Select(Path.GetFileName));
    }

    [Fact]
    public void Installing_twice_keeps_one_chain_and_a_hook_replaced_since_is_left_alone()
    {
        using var repo = CTree.Create();
        var original = repo.Write(".git/hooks/post-merge", OriginalHook);
        File.SetUnixFileMode(original, (UnixFileMode)Convert.ToInt32("755", 8));
        var bytes = File.ReadAllBytes(original);

        Assert.Equal(0, repo.Ksplice("hooks", "install").ExitCode);
        Assert.Equal(0, repo.Ksplice("hooks", "install").ExitCode);

        Assert.Equal(bytes, File.ReadAllBytes(repo.Path(".git/hooks/post-merge.ksplice-chained")));
        Assert.False(File.Exists(repo.Path(".git/hooks/post-merge.ksplice-chained.ksplice-chained")));

        // The user replaces our post-commit by hand: uninstall must not delete their file.
        repo.Write(".git/hooks/post-commit", "#!/bin/sh\necho mine\n");
        var uninstall = repo.Ksplice("hooks", "uninstall");
        Assert.True(uninstall.ExitCode == 0, uninstall.All);
        Assert.Contains("post-commit: not git-ksplice's hook; left alone", uninstall.StdErr);
        Assert.Equal("#!/bin/sh\necho mine\n", repo.Read(".git/hooks/post-commit"));
        Assert.Equal(bytes, File.ReadAllBytes(original));
        Assert.False(File.Exists(repo.Path(".git/hooks/post-rewrite")));
    }

    [Fact]
    public void A_chained_post_rewrite_hook_still_gets_its_arguments_and_stdin()
    {
        using var repo = CTree.Create();
        var original = repo.Write(".git/hooks/post-rewrite", "#!/bin/sh\n{ echo \"args: $*\"; cat; } > \"$(git rev-parse --git-dir)/rewritten\"\n");
        File.SetUnixFileMode(original, (UnixFileMode)Convert.ToInt32("755", 8));
        repo.Git("config", "ksplice.hook.mode", "sync");
        Assert.Equal(0, repo.Ksplice("hooks", "install").ExitCode);
        var before = HookTestSupport.SafeChange(repo);

        repo.Git("commit", "-q", "--amend", "-m", "reworded");

        var after = repo.Git("rev-parse", "HEAD");
        Assert.Equal($"args: amend\n{before} {after}\n", repo.Read(".git/rewritten"));
        Assert.StartsWith("ksplice-verdict: hot-patchable", HookTestSupport.NoteOf(repo, after));
    }

    [Fact]
    public void A_linked_worktree_installs_into_the_common_hooks_directory()
    {
        using var repo = CTree.Create();
        using var scratch = new TempDir();
        var worktree = Path.Combine(scratch.Path, "wt");
        repo.Git("worktree", "add", "-q", worktree, "-b", "topic");

        var r = ProcessRunner.Run(worktree, "git", ["ksplice", "hooks", "install"]);

        Assert.True(r.ExitCode == 0, r.All);
        Assert.Equal(HookScript.Text, File.ReadAllText(repo.Path(".git/hooks/post-commit")));
        Assert.False(Directory.Exists(repo.Path($".git/worktrees/wt/hooks")));

        // A commit in the worktree is checked, with its state in the common git dir.
        repo.Git("config", "ksplice.hook.mode", "sync");
        File.WriteAllText(Path.Combine(worktree, "main.c"), CTree.Main.Replace("> 100", "> 300") + "\n");
        Assert.Equal(0, ProcessRunner.Run(worktree, "git", ["commit", "-q", "-am", "in the worktree"]).ExitCode);
        var commit = ProcessRunner.Run(worktree, "git", ["rev-parse", "HEAD"]).StdOut.Trim();
        Assert.StartsWith("ksplice-verdict: hot-patchable", HookTestSupport.NoteOf(repo, commit));
        Assert.True(File.Exists(repo.Path($".git/ksplice/hook/{commit}/log")));
    }

    [Fact]
    public void A_shared_hooks_directory_leaves_no_trace_in_a_repository_that_does_not_use_git_ksplice()
    {
        using var shared = new TempDir();
        using var user = CTree.Create();
        user.Git("config", "core.hooksPath", shared.Path);
        Assert.Equal(0, user.Ksplice("hooks", "install").ExitCode);
        using var other = new TestRepo();
        other.Git("config", "core.hooksPath", shared.Path);
        other.Git("config", "ksplice.hook.mode", "sync");
        other.Write("README", "unrelated\n");

        var commit = other.Commit("a commit elsewhere");

        Assert.False(Directory.Exists(other.Path(".git/ksplice")));
        Assert.Equal("", HookTestSupport.NoteOf(other, commit));
    }

    [Fact]
    public void A_bare_repository_is_refused_with_one_line()
    {
        using var dir = new TempDir();
        Assert.Equal(0, ProcessRunner.Run(dir.Path, "git", ["init", "-q", "--bare", "server.git"]).ExitCode);

        var r = ProcessRunner.Run(dir["server.git"], "git", ["ksplice", "hooks", "install"]);

        Assert.Equal(1, r.ExitCode);
        Assert.Equal("fatal: this is a bare repository: nobody commits in it, so there is nothing for the hooks to check", r.StdErr.Trim());
        Assert.All(Directory.GetFiles(dir["server.git/hooks"]), f => Assert.EndsWith(".sample", f));
    }

    [Fact]
    public void The_hooks_shipped_in_the_repository_are_the_script_install_writes()
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "GitKsplice.sln"))) root = Path.GetDirectoryName(root)!;
        foreach (var name in HookScript.Names)
        {
            var shipped = Path.Combine(root, "hooks", name);
            Assert.Equal(HookScript.Text, File.ReadAllText(shipped));
            Assert.True(File.GetUnixFileMode(shipped).HasFlag(UnixFileMode.UserExecute), $"{shipped} is not executable");
        }
    }
}
