using GitKsplice.Build;
using GitKsplice.Tests.Support;

namespace GitKsplice.Tests.Build;

/// <summary>
/// The build tree holds exactly a commit's content: a tracked symbolic link to a file outside the repository
/// would make the build read, and an update ship, an edit no commit holds.
/// </summary>
public class OutsideLinkTests
{
    [Theory]
    [InlineData("a.c", "/elsewhere/a.c", true)]
    [InlineData("a.c", "../elsewhere/a.c", true)]
    [InlineData("dir/a.c", "../../a.c", true)]
    [InlineData("dir/a.c", "sub/../../../a.c", true)]
    [InlineData("dir/a.c", "../b.c", false)]
    [InlineData("dir/sub/a.c", "../../b.c", false)]
    [InlineData("a.c", "./b.c", false)]
    [InlineData("a.c", "dir//b.c", false)]
    public void A_link_leaves_the_tree_when_its_target_is_absolute_or_climbs_above_the_root(string link, string target, bool leaves) =>
        Assert.Equal(leaves, BuildTree.LeavesTree(link, target));

    [RequiresFact(Tool.Gcc, Tool.Make)]
    public void A_change_that_links_a_source_outside_the_repository_is_refused_before_its_post_build()
    {
        using var repo = CTree.Create();
        using var elsewhere = new TempDir();
        var outside = elsewhere.Write("greet.c", CTree.Greet.Replace("return printf(\"HELLO", "return 3 * printf(\"HELLO") + "\n");
        File.Delete(repo.Path("greet.c"));
        File.CreateSymbolicLink(repo.Path("greet.c"), outside);
        var commit = repo.Commit("greet.c from elsewhere");

        var create = repo.Ksplice("create", "--id", "linked", commit);

        Assert.Equal(1, create.ExitCode);
        Assert.Equal($"fatal: \"greet.c\" is a symbolic link to \"{outside}\", outside the tree: its build would read what no commit holds; commit the file itself",
            create.StdErr.Trim().Split('\n')[^1]);
        Assert.False(File.Exists(repo.Path("ksplice-linked.tar.gz")));
        Assert.NotEqual(0, repo.TryGit("rev-parse", "--verify", "-q", "refs/ksplice/updates/linked").ExitCode);
        Assert.Null(new FileInfo(repo.Path(".git/ksplice/build/tree/greet.c")).LinkTarget); // the move was refused before the tree was written
    }

    [RequiresFact(Tool.Gcc, Tool.Make)]
    public void A_link_inside_the_tree_builds_as_ever()
    {
        using var repo = CTree.Create();
        Directory.CreateDirectory(repo.Path("src"));
        File.Move(repo.Path("greet.c"), repo.Path("src/greet.c"));
        File.CreateSymbolicLink(repo.Path("greet.c"), "src/greet.c");
        repo.Commit("greet.c through a link");
        Assert.Equal(0, repo.Ksplice("series", "set", "HEAD").ExitCode);
        repo.Write("src/greet.c", CTree.Greet.Replace("return printf(\"HELLO", "return 3 * printf(\"HELLO") + "\n");
        var commit = repo.Commit("change");

        var create = repo.Ksplice("create", "--id", "inside", commit);

        Assert.True(create.ExitCode == 0, create.All);
        Assert.Contains("shout", repo.Ksplice("show", "inside").StdOut);
    }
}
