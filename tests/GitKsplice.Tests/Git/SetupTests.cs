using GitKsplice.Tests.Support;

namespace GitKsplice.Tests.Git;

/// <summary>git ksplice setup: git log shows the ksplice and kstuff notes, and the notes follow amend and rebase.</summary>
[Trait(TestCategory.Name, TestCategory.EndToEnd)]
public sealed class SetupTests
{
    [Fact]
    public void After_setup_git_log_shows_the_notes_and_they_follow_amend_and_rebase()
    {
        using var repo = CTree.Create();
        repo.Write("greet.c", CTree.Greet.Replace("return printf(\"hello, %s\\n\", name);", "return printf(\"hello, %s\\n\", name) + 1;") + "\n");
        var fix = repo.Commit("greeting fix");
        Assert.Equal(0, repo.Ksplice("create", "-q", "--id", "fix01", fix).ExitCode);
        repo.Git("notes", "--ref=kstuff", "add", "-m", "kind: kstuff-bundle", fix);

        Assert.DoesNotContain("Notes (ksplice)", repo.Git("log", "-1"));

        var setup = repo.Ksplice("setup");
        Assert.True(setup.ExitCode == 0, setup.All);
        Assert.Contains("notes.displayRef += refs/notes/ksplice", setup.StdErr);
        var log = repo.Git("log", "-1");
        Assert.Contains("Notes (ksplice):", log);
        Assert.Contains("fix01", log);
        Assert.Contains("Notes (kstuff):", log);

        // Running it again changes nothing.
        Assert.Contains("already set up", repo.Ksplice("setup").StdErr);
        Assert.Equal(["refs/notes/ksplice", "refs/notes/kstuff"], repo.Git("config", "--get-all", "notes.displayRef").Split('\n'));

        // The notes follow the commit when it is amended, and when it is rebased.
        repo.Git("commit", "-q", "--amend", "-m", "greeting fix, reworded");
        Assert.NotEqual(fix, repo.Git("rev-parse", "HEAD"));
        Assert.Contains("fix01", repo.Git("notes", "--ref=ksplice", "show", "HEAD"));
        repo.Git("checkout", "-q", "-b", "side", "HEAD~1");
        repo.Write("README", "side\n");
        repo.Commit("side change");
        repo.Git("checkout", "-q", "main");
        repo.Git("rebase", "-q", "side");
        Assert.Contains("fix01", repo.Git("notes", "--ref=ksplice", "show", "HEAD"));
        Assert.Contains("Notes (ksplice):", repo.Git("log", "-1"));

        var undo = repo.Ksplice("setup", "--undo");
        Assert.True(undo.ExitCode == 0, undo.All);
        Assert.Equal(1, repo.TryGit("config", "--get-all", "notes.displayRef").ExitCode);
        Assert.DoesNotContain("Notes (ksplice)", repo.Git("log", "-1"));
    }

    [Fact]
    public void Setup_outside_a_repository_needs_global()
    {
        using var dir = new TempDir();
        var r = ProcessRunner.Run(dir.Path, "git", ["ksplice", "setup"], new Dictionary<string, string?> { ["GIT_CEILING_DIRECTORIES"] = Path.GetDirectoryName(dir.Path) });
        Assert.Equal(1, r.ExitCode);
        Assert.StartsWith("fatal: not a git repository", r.StdErr);

        var home = dir.Write("home/.keep", "");
        var env = new Dictionary<string, string?> { ["HOME"] = Path.GetDirectoryName(home), ["GIT_CEILING_DIRECTORIES"] = Path.GetDirectoryName(dir.Path) };
        var global = ProcessRunner.Run(dir.Path, "git", ["ksplice", "setup", "--global"], env);
        Assert.True(global.ExitCode == 0, global.All);
        Assert.Contains("rewriteRef = refs/notes/ksplice", File.ReadAllText(Path.Combine(Path.GetDirectoryName(home)!, ".gitconfig")));
    }

    [Fact]
    public void A_config_git_cannot_read_is_one_line_naming_it_and_nothing_is_written()
    {
        using var dir = new TempDir();
        var gitconfig = dir.Write("home/.gitconfig", "[notes\n\tdisplayRef = refs/notes/commits\n");
        var env = new Dictionary<string, string?> { ["HOME"] = Path.GetDirectoryName(gitconfig), ["GIT_CEILING_DIRECTORIES"] = Path.GetDirectoryName(dir.Path) };
        // Run directly: git itself would stop at the config before running "git ksplice".
        var r = ProcessRunner.Run(dir.Path, Path.Combine(ProcessRunner.ToolDirectory, "git-ksplice"), ["setup", "--global"], env);
        Assert.Equal(1, r.ExitCode);
        Assert.Matches("^fatal: bad config line 1 in file .*/home/\\.gitconfig\n$", r.StdErr);
        Assert.Equal("[notes\n\tdisplayRef = refs/notes/commits\n", File.ReadAllText(gitconfig));
    }
}
