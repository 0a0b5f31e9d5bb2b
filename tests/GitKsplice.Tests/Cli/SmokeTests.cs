using GitKsplice.Tests.Support;

namespace GitKsplice.Tests.Cli;

[Trait(TestCategory.Name, TestCategory.EndToEnd)]
public class SmokeTests
{
    [Fact]
    public void Both_subcommands_are_reachable_through_git()
    {
        using var repo = new TestRepo();
        Assert.Contains("git ksplice", repo.Ksplice("-h").StdOut);
        Assert.Contains("git kstuff", repo.Kstuff("-h").StdOut);
    }
}
