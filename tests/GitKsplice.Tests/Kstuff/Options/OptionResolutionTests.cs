using GitKsplice.Kstuff.Merge;
using GitKsplice.Kstuff.Options;
using GitKsplice.Kstuff.Targets;
using GitKsplice.Reporting;
using GitKsplice.Tests.Support;

namespace GitKsplice.Tests.Kstuff.Options;

public class OptionResolutionTests
{
    /// <summary>Resolves options with no rc files and no git config but the words given.</summary>
    private static KstuffOptions Resolve(string[] commandLine, string? homeRc = null, string? systemRc = null, string? gitOptions = null)
    {
        using var home = new TempDir();
        using var system = new TempDir();
        if (homeRc != null) home.Write(".kstuff.rc", homeRc);
        var systemFile = system.Write("kstuff.rc", systemRc ?? "");
        using var repo = new TestRepo();
        if (gitOptions != null) repo.Git("config", "kstuff.options", gitOptions);
        var environment = new Dictionary<string, string?> { ["HOME"] = home.Path, [RcFiles.SystemOverrideVariable] = systemFile };
        return OptionSources.Resolve(KstuffSettings.Load(repo.Root), commandLine, name => environment.GetValueOrDefault(name));
    }

    [Fact]
    public void Bundled_letters_and_arguments_read_like_getopt()
    {
        var o = Resolve(["-bqK#", "-cscript", "-d", "a.db", "-d", "b.db", "-t", "unix.old", "-nfoo", "--target-root", "/srv/x", "host:k"]);
        Assert.True(o.Batch && o.Quiet && o.KeepTemporaries && o.DebugIdbuild);
        Assert.Equal(["script"], o.Commands);
        Assert.Equal(["a.db", "b.db"], o.DatabaseFiles);
        Assert.Equal("unix.old", o.TargetKernel);
        Assert.Equal(StuffMode.Include, o.Stuff["foo"]);
        Assert.Equal("host:k", o.TargetOperand);
        Assert.Equal("/srv/x", o.TargetRoot);
        Assert.Equal("local:/mnt/img:unix", Resolve(["local:/mnt/img:unix"]).TargetOperand);
    }

    [Fact]
    public void System_rc_then_home_rc_then_git_config_then_command_line_the_last_one_winning()
    {
        var o = Resolve(["-v", "-t", "cmdline"], homeRc: "-bq   # my usual\n-t home\nhomehost\n", systemRc: "# integration\n-d /int/k.db\n-K -t sys\n", gitOptions: "-S -t git");
        Assert.True(o.Batch);
        Assert.False(o.Quiet);
        Assert.True(o.KeepTemporaries && o.Static);
        Assert.Equal(["/int/k.db"], o.DatabaseFiles);
        Assert.Equal("cmdline", o.TargetKernel);
        Assert.Equal("homehost", o.TargetOperand);
        Assert.Equal("other", Resolve(["other"], homeRc: "homehost\n").TargetOperand);
        Assert.Equal("git", Resolve([], homeRc: "-t home", gitOptions: "-t git").TargetKernel);
        // -B on the command line defeats -K from an rc file; -R defeats -n from one.
        o = Resolve(["-B", "-R"], homeRc: "-K -n drv -c cmd\n");
        Assert.False(o.KeepTemporaries);
        Assert.Empty(o.Stuff);
        Assert.Empty(o.Commands);
    }

    [Fact]
    public void A_malformed_rc_file_is_named_with_its_line()
    {
        var e = Assert.Throws<UserError>(() => Resolve([], homeRc: "-b\n\n-X\n"));
        Assert.Matches(@"\.kstuff\.rc:3: kstuff: unknown option -X$", e.Message);
        e = Assert.Throws<UserError>(() => Resolve([], homeRc: "-b\n-c 'unterminated\n"));
        Assert.Matches(@"\.kstuff\.rc:2: unterminated single quote$", e.Message);
        e = Assert.Throws<UserError>(() => Resolve([], gitOptions: "-t"));
        Assert.StartsWith("git config kstuff.options:1: ", e.Message);
    }

    [Theory]
    [InlineData("-z")]
    [InlineData("-c")]
    [InlineData("--bogus")]
    [InlineData("-n", "../etc/passwd")]
    [InlineData("-Y", "a;rm -rf /")]
    [InlineData("-N", "$(id)")]
    [InlineData("-n", "a\nb")]
    [InlineData("-t", "../x")]
    [InlineData("-t", "-x")]
    [InlineData("-I", "-M")]
    public void Bad_options_are_refused_with_one_line(params string[] words)
    {
        var e = Assert.Throws<UserError>(() =>
        {
            var o = Resolve(words);
            GitKsplice.Kstuff.Delivery.KstuffDelivery.ModeOf(o);
        });
        Assert.DoesNotContain("\n", e.Message);
    }

    [Fact]
    public void Layout_follows_the_man_page()
    {
        var named = new TargetLayout("unix.joe", "unix");
        Assert.Equal("/etc/conf.unix.joe", named.ConfTree);
        Assert.Equal("/stand/unix.joe", named.Kernel);
        Assert.Equal("/etc/conf", named.MergeTree);
        var unix = new TargetLayout("unix", "test");
        Assert.Equal("/etc/conf", unix.ConfTree);
        Assert.Equal("/etc/.kbundle", unix.StagingTree);
        Assert.Equal("/etc/conf.test", unix.MergeTree);
        Assert.Equal("unix.joe", TargetLayout.DefaultKname("joe"));
        Assert.Throws<UserError>(() => TargetLayout.DefaultKname("a b"));
    }
}
