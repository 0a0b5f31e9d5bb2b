using GitKsplice.Cli;
using GitKsplice.Kstuff.Options;
using GitKsplice.Kstuff.Targets;
using GitKsplice.Tests.Support;

namespace GitKsplice.Tests.KstuffDelivery;

public class OptionTests
{
    private static KstuffOptions Parse(params string[] words) =>
        OptionParser.Parse(words.Select(w => new OptionWord(w, OptionOrigin.CommandLine)));

    [Fact]
    public void Bundled_letters_and_arguments_read_like_getopt()
    {
        var o = Parse("-bqK#", "-cscript", "-d", "a.db", "-d", "b.db", "-t", "unix.old", "-nfoo", "host:k");
        Assert.True(o.Batch);
        Assert.True(o.Quiet);
        Assert.True(o.KeepTemporaries);
        Assert.True(o.IdbuildDebug);
        Assert.Equal("script", o.Command);
        Assert.Equal(["a.db", "b.db"], o.Databases);
        Assert.Equal("unix.old", o.MergeWith);
        Assert.Equal(DriverRequest.Include, o.Drivers["foo"]);
        Assert.Equal("host:k", o.Host);
    }

    [Fact]
    public void Later_options_defeat_earlier_ones_as_the_man_page_says()
    {
        var o = Parse("-FKST#", "-M", "-B");
        Assert.Equal(DeliveryMode.Normal, o.Mode);
        Assert.False(o.ForceBundle || o.KeepTemporaries || o.Static || o.IncludeIdtools || o.IdbuildDebug);

        o = Parse("-n", "a", "-Y", "b", "-c", "cmd", "-r", "map", "-R", "-N", "c");
        Assert.Null(o.Command);
        Assert.Null(o.RenameFile);
        Assert.Equal(["c"], o.Drivers.Keys);
        Assert.Equal(DriverRequest.Stub, o.Drivers["c"]);

        o = Parse("-b", "-i", "-q", "-v", "-n", "d", "-Y", "d");
        Assert.False(o.Batch);
        Assert.False(o.Quiet);
        Assert.Equal(DriverRequest.Activate, o.Drivers["d"]);
    }

    [Theory]
    [InlineData("-z")]
    [InlineData("-c")]
    [InlineData("--bogus")]
    [InlineData("-n", "../etc/passwd")]
    [InlineData("-Y", "a;rm")]
    [InlineData("-N", "-x")]
    [InlineData("-t", "../x")]
    public void Bad_options_name_themselves(params string[] words)
    {
        var e = Assert.Throws<UserError>(() => Parse(words));
        Assert.StartsWith("command line: ", e.Message);
    }

    [Fact]
    public void Rc_files_then_git_config_then_the_command_line_last_one_winning()
    {
        using var home = new TempDir();
        using var system = new TempDir();
        system.Write("kstuff.rc", "# integration defaults\n-d /int/kernels.db\n-t sys\n");
        system.Write("int.rc", "-K\n");
        home.Write(".kstuff.rc", "-bq   # my usual\n-t mine\n");
        var saved = (Environment.GetEnvironmentVariable("HOME"), Environment.GetEnvironmentVariable(RcFiles.SystemOverrideVariable));
        try
        {
            Environment.SetEnvironmentVariable("HOME", home.Path);
            Environment.SetEnvironmentVariable(RcFiles.SystemOverrideVariable, system["kstuff.rc"] + ":" + system["int.rc"] + ":" + system["missing.rc"]);
            var words = RcFiles.ReadAll();
            Assert.Equal(["-d", "/int/kernels.db", "-t", "sys", "-K", "-bq", "-t", "mine"], words.Select(w => w.Text));
        }
        finally
        {
            Environment.SetEnvironmentVariable("HOME", saved.Item1);
            Environment.SetEnvironmentVariable(RcFiles.SystemOverrideVariable, saved.Item2);
        }
    }

    [Fact]
    public void A_malformed_rc_file_is_named_with_its_line()
    {
        using var dir = new TempDir();
        var file = dir.Write(".kstuff.rc", "-b\n-c 'unterminated\n");
        var e = Assert.Throws<UserError>(() => RcFiles.Read(file).ToList());
        Assert.Equal($"{file}:2: unterminated single quote", e.Message);
        file = dir.Write("other.rc", "-b\n\n-X\n");
        e = Assert.Throws<UserError>(() => OptionParser.Parse(RcFiles.Read(file)));
        Assert.Equal($"{file}:3: unknown option -X (see 'git kstuff -h')", e.Message);
    }

    [Fact]
    public void Rename_files_map_source_names_to_target_names()
    {
        Assert.Equal(new Dictionary<string, string> { ["newdrv"] = "olddrv" }, RenameMap.Parse(["# map", "newdrv   olddrv", ""], "r"));
        Assert.Equal("r:2: expected 'source-name target-name', found 3 fields",
            Assert.Throws<UserError>(() => RenameMap.Parse(["a b", "a b c"], "r")).Message);
        Assert.Contains("r:1: bad driver name", Assert.Throws<UserError>(() => RenameMap.Parse(["a/b c"], "r")).Message);
        Assert.Contains("renamed twice", Assert.Throws<UserError>(() => RenameMap.Parse(["a b", "a c"], "r")).Message);
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
        Assert.Equal("/etc/.kbundle", unix.BuildTree);
        Assert.Equal("/etc/conf.test", unix.MergeTree);
        Assert.Equal("unix.joe", TargetLayout.DefaultKname("joe"));
        Assert.Throws<UserError>(() => TargetLayout.DefaultKname("a b"));
    }
}
