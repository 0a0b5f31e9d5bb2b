using GitKsplice.Tests.Support;

namespace GitKsplice.Tests.Updates;

/// <summary>git ksplice try refusing what it cannot load, before any guest boots; the Linux tests load real modules.</summary>
[Trait(TestCategory.Name, TestCategory.EndToEnd)]
public class TryCommandTests
{
    [Fact]
    public void Without_a_recorded_update_there_is_nothing_to_try()
    {
        using var repo = CTree.Create();
        var r = repo.Ksplice("try");
        Assert.Equal(1, r.ExitCode);
        Assert.Equal("fatal: no update is recorded: build one with git ksplice create\n", r.StdErr);
        Assert.Equal("", r.StdOut);
    }

    [Fact]
    public void An_update_of_a_plain_Makefile_tree_holds_no_module_to_load_and_nothing_is_recorded()
    {
        using var repo = CTree.Create();
        repo.Write("greet.c", CTree.Greet.Replace("return printf(\"hello, %s\\n\", name);", "return printf(\"hello, %s\\n\", name) + 1;"));
        var commit = repo.Commit("greet: shorter");
        Assert.Equal(0, repo.Ksplice("create", "--id", "plain01", commit).ExitCode);
        var note = repo.Git("notes", "--ref", "ksplice", "show", commit);

        var r = repo.Ksplice("try");

        Assert.Equal(1, r.ExitCode);
        Assert.Contains("fatal: update plain01 holds no livepatch module", r.StdErr);
        Assert.Equal(note, repo.Git("notes", "--ref", "ksplice", "show", commit));
    }

    [Fact]
    public void Unknown_ids_gone_tarballs_and_bad_timeouts_are_named()
    {
        using var repo = CTree.Create();
        repo.Write("greet.c", CTree.Greet.Replace("return printf(\"hello, %s\\n\", name);", "return printf(\"hello, %s\\n\", name) + 1;"));
        var commit = repo.Commit("greet: shorter");
        Assert.Equal(0, repo.Ksplice("create", "--id", "gone01", commit).ExitCode);
        File.Delete(repo.Path("ksplice-gone01.tar.gz"));

        Assert.Equal("fatal: no such update: 'nope'\n", repo.Ksplice("try", "nope").StdErr);
        var gone = repo.Ksplice("try", "gone01");
        Assert.Equal(1, gone.ExitCode);
        Assert.Equal($"fatal: the tarball of update gone01 is gone ({repo.Path("ksplice-gone01.tar.gz")}): build it again with git ksplice create\n", gone.StdErr);
        var timeout = repo.Ksplice("try", "--timeout", "0");
        Assert.Equal(129, timeout.ExitCode);
        Assert.Contains("--timeout must be positive", timeout.StdErr);
    }
}
