using GitKsplice.Settings;
using GitKsplice.Tests.Support;

namespace GitKsplice.Tests.Cli;

/// <summary>The manual pages after ./install.sh: found by git help and man with no MANPATH set, complete, clean roff.</summary>
[Trait(TestCategory.Name, TestCategory.Installed)]
[Collection(InstalledToolsCollection.Name)]
public sealed class ManualPageTests(InstalledTools tools)
{
    private string Man(params string[] args)
    {
        var r = tools.Run(tools.Home, args[0], args[1..]);
        Assert.True(r.ExitCode == 0, r.All);
        return r.StdOut;
    }

    [Fact]
    public void Git_help_ksplice_and_man_git_kstuff_open_the_pages()
    {
        var ksplice = Man("git", "help", "ksplice");
        Assert.Contains("git-ksplice - build rebootless (hot) kernel updates", ksplice);
        Assert.Contains("git ksplice create [<options>] [<commit>]", ksplice);
        foreach (var section in new[] { "SYNOPSIS", "DESCRIPTION", "COMMANDS", "CONFIGURATION", "EXIT STATUS", "SEE ALSO" })
            Assert.Contains("\n" + section + "\n", ksplice);

        var kstuff = Man("man", "git-kstuff");
        Assert.Contains("git-kstuff - deliver a kernel build to a target host", kstuff);
        Assert.Contains("kstuff.sshCommand", kstuff);

        // git turns "git ksplice --help" into "git help ksplice", which opens the same page.
        Assert.Equal(ksplice, Man("git", "ksplice", "--help"));
        Assert.Contains("git-ksplice-create - build a hot update", Man("man", "git-ksplice-create"));
    }

    [Fact]
    public void Every_command_has_a_page_listing_every_option_the_command_takes()
    {
        foreach (var tool in new[] { "git-ksplice", "git-kstuff" })
        {
            var commands = Lines(tools.Run(tools.Home, tool, ["__complete", "--commands"]).StdOut).Where(c => !c.Contains(' ')).ToList();
            Assert.NotEmpty(commands);
            foreach (var command in commands)
            {
                var page = Man("man", $"{tool}-{command}");
                // man hyphenates nothing (.nh) but may break lines: compare words.
                var options = Lines(tools.Run(tools.Home, tool, ["__complete", "--", command, "-"]).StdOut);
                Assert.NotEmpty(options);
                foreach (var option in options)
                    Assert.True(page.Contains(option), $"{tool}-{command}(1) does not document {option}:\n{page}");
            }
        }
    }

    [Fact]
    public void The_pages_are_clean_roff_and_list_every_exit_code_and_config_key()
    {
        var pages = Directory.GetFiles(Path.Combine(tools.Prefix, "share", "man", "man1"), "git-*.1");
        Assert.Contains(pages, p => p.EndsWith("git-ksplice-series.1"));
        foreach (var page in pages)
        {
            var r = ProcessRunner.Run(tools.Home, "groff", ["-man", "-Tutf8", "-ww", "-z", page]);
            Assert.True(r.ExitCode == 0 && r.StdErr.Length == 0, $"{page}: {r.All}");
        }
        var main = Man("man", "git-ksplice");
        foreach (var code in GitKsplice.Reporting.ExitCodes.Documented)
            Assert.Matches($@"\n\s+{code.Code}\s+\S", main);
        foreach (var key in KspliceConfigKeys.All.Concat(GitConfigKeys.Notes))
            Assert.Contains(key.Name, main);
    }

    private static List<string> Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();
}
