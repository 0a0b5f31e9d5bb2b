using GitKsplice.Kstuff.Config;
using GitKsplice.Kstuff.Merge;
using GitKsplice.Kstuff.Options;
using GitKsplice.Reporting;

namespace GitKsplice.Tests.Kstuff.Options;

public class OptionParserTests
{
    [Fact]
    public void Kstuff_options_cluster_take_arguments_and_the_last_one_wins()
    {
        var o = KstuffOptionParser.ParseKstuff(["-bqK", "-n", "ktest", "-Ycdki", "-N", "ktest", "-dkern.db", "-d", "more.db", "-t", "unix.old", "myhost:unix"]);
        Assert.True(o.Batch && o.Quiet && o.KeepTemporaries);
        Assert.Equal(StuffMode.StubOut, o.Stuff["ktest"]);
        Assert.Equal(StuffMode.Configure, o.Stuff["cdki"]);
        Assert.Equal(["kern.db", "more.db"], o.DatabaseFiles);
        Assert.Equal(("myhost", "unix", "unix.old"), (o.Host, o.KernelName, o.TargetKernel));

        var flipped = KstuffOptionParser.ParseKstuff(["-i", "-v"], o);   // rc file first, command line after
        Assert.False(flipped.Batch || flipped.Quiet);
        Assert.Null(KstuffOptionParser.ParseKstuff(["host"]).KernelName);
    }

    [Fact]
    public void B_defeats_the_build_options_and_R_the_stuffing_options()
    {
        var o = KstuffOptionParser.ParseKstuff(["-FIKMQST#", "-b", "-B"]);
        Assert.False(o.ForceBundle || o.IdbuildOnly || o.KeepTemporaries || o.MergeOnly || o.Quick || o.Static || o.Idtools || o.DebugIdbuild);
        Assert.True(o.Batch);

        var r = KstuffOptionParser.ParseKstuff(["-n", "a", "-Y", "b", "-c", "cmd", "-r", "map", "-d", "db", "-R", "-N", "c"]);
        Assert.Equal(["c"], r.Stuff.Keys);
        Assert.Empty(r.Commands);
        Assert.Null(r.RenameFile);
        Assert.Equal(["db"], r.DatabaseFiles);   // -R leaves -d alone
    }

    [Theory]
    [InlineData(new[] { "-x" }, "unknown option -x")]
    [InlineData(new[] { "-n" }, "option -n needs an argument")]
    [InlineData(new[] { "a", "b" }, "only one host")]
    [InlineData(new[] { ":unix" }, "no host")]
    [InlineData(new[] { "host:" }, "bad kernel name")]
    public void Bad_kstuff_options_are_usage_errors(string[] words, string message)
    {
        var e = Assert.Throws<UserError>(() => KstuffOptionParser.ParseKstuff(words));
        Assert.Equal(ExitCodes.Usage, e.ExitCode);
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void Kbundle_options_and_a_shared_rc_file()
    {
        var o = KstuffOptionParser.ParseKbundle(["-FT", "-d", "a.db", "-B", "-Q"]);
        Assert.False(o.Force || o.Idtools);
        Assert.True(o.Quick);
        Assert.Equal(["a.db"], o.DatabaseFiles);
        Assert.Throws<UserError>(() => KstuffOptionParser.ParseKbundle(["-bqK"]));
        var fromRc = KstuffOptionParser.ParseKbundle(["-bqK", "-T", "-n", "ktest", "-dx.db", "host"], fromRcFile: true);
        Assert.True(fromRc.Idtools);
        Assert.Equal(["x.db"], fromRc.DatabaseFiles);
    }

    [Theory]
    [InlineData("/r:i386at:/b.Z\n", 1, "found 3 field(s)")]
    [InlineData("# ok\n/r:i386at:/b.Z:2:comment\n", 2, "pre_built_flag is '2'")]
    [InlineData("\n\n:i386at:/b.Z:0\n", 3, "empty root")]
    [InlineData("/r::/b.Z:0\n", 1, "empty mach")]
    [InlineData("/r:m::1\n", 1, "empty bundle-file")]
    public void A_malformed_database_names_file_and_line(string text, int line, string problem)
    {
        var e = Assert.Throws<ConfigFormatException>(() => DatabaseFile.Parse("/int/bin/kernels.db", text));
        Assert.StartsWith($"/int/bin/kernels.db:{line}: ", e.Message);
        Assert.Contains(problem, e.Message);
    }

    [Fact]
    public void Database_entries_keep_colons_in_comments_and_the_first_match_wins()
    {
        var a = DatabaseFile.Parse("/db/a", "/r:m:rel/b.Z:1:release: 7.1.4\r\n/r:m:/other.Z:0:\n");
        var b = DatabaseFile.Parse("/db/b", "/r:m:/b.Z:0\n");
        var found = DatabaseFile.Find([a, b], "/r/", "m")!;
        Assert.Equal(("/db/rel/b.Z", true, "release: 7.1.4", "/db/a:1"), (found.BundleFile, found.PreBuilt, found.Comment, found.Where));
        Assert.Equal("/b.Z", DatabaseFile.Find([b, a], "/r", "m")!.BundleFile);
        Assert.Null(DatabaseFile.Find([a], "/r", "other"));
        // A relative root is the database file's neighbour, wherever the command runs.
        var relative = DatabaseFile.Parse("/db/c", "kernels/r:m:b.Z:0\n");
        Assert.Equal("/db/kernels/r", Assert.Single(relative.Entries).Root);
        Assert.Equal("/db/b.Z", DatabaseFile.Find([relative], "/db/kernels/r/", "m")!.BundleFile);
    }

    [Fact]
    public void Rename_maps_are_checked()
    {
        Assert.Equal(new Dictionary<string, string> { ["e1000g"] = "e1000", ["new"] = "old" },
            RenameMap.Parse("map", "# source target\ne1000g\te1000\n\n  new   old  \n"));
        foreach (var (text, line, problem) in new[] { ("a b c\n", 1, "found 3"), ("a b\na c\n", 2, "renamed twice"), ("a x\nb x\n", 2, "already the new name"), ("a ../b\n", 1, "cannot contain") })
        {
            var e = Assert.Throws<ConfigFormatException>(() => RenameMap.Parse("map", text));
            Assert.Equal(line, e.Line);
            Assert.Contains(problem, e.Message);
        }
    }

    [Fact]
    public void Device_majors_are_read_from_ls_output_or_a_plain_list()
    {
        var majors = DeviceListing.Parse("dev", "/dev:\ntotal 0\ncrw-rw-rw-   1 root     sys        4,  0 Jan  1 1999 tty00\n" +
            "brw-r-----   1 root     sys       16, 32 Jan  1 1999 dsk/0s0\ndrwxr-xr-x 2 root sys 512 Jan 1 1999 rdsk\n-rw-r--r-- 1 a b 5 Jan 1 x\n" +
            "crw-rw-rw-. 1 root root 1, 3 Nov 24 00:00 null\ncrw------- 1 root sys 77,2 Jan 1 1999 tight\n# plain\nc 40-42\nb 7\n");
        Assert.Equal([1, 4, 40, 41, 42, 77], majors.Character.Order());
        Assert.Equal([7, 16], majors.Block.Order());
        var e = Assert.Throws<ConfigFormatException>(() => DeviceListing.Parse("dev", "c x\n"));
        Assert.Equal(1, e.Line);
    }
}
