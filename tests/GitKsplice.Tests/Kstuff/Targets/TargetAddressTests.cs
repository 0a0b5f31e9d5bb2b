using GitKsplice.Kstuff.Targets;
using GitKsplice.Reporting;
using GitKsplice.Tests.Support;
using GitKsplice.Transport;

namespace GitKsplice.Tests.Kstuff.Targets;

public class TargetAddressTests
{
    [Theory]
    [InlineData("host", "host", null)]
    [InlineData("user@host.example:unix", "user@host.example", "unix")]
    [InlineData("h:unix.joe", "h", "unix.joe")]
    [InlineData("[::1]:test", "::1", "test")]
    public void Good_addresses_parse(string operand, string host, string? kname)
    {
        var a = TargetAddress.Parse(operand, null, "/");
        Assert.Equal(host, a.Host);
        Assert.Equal(kname, a.Kname);
    }

    [Fact]
    public void Local_targets_take_a_directory_and_an_optional_kname()
    {
        Assert.Equal(new TargetAddress(HostAddress.Local("/mnt/img", "local:", "/"), "unix"), TargetAddress.Parse("local:/mnt/img:unix", null, "/"));
        Assert.Equal(new TargetAddress(HostAddress.Local("/mnt/img", "local:", "/"), null), TargetAddress.Parse("local:/mnt/img", null, "/"));
        Assert.Equal(new TargetAddress(HostAddress.Local("/srv/root", "--target-root", "/"), null), TargetAddress.Parse(null, "/srv/root/", "/"));
        Assert.Equal(new TargetAddress(HostAddress.Remote("h", root: "/srv/root"), "k"), TargetAddress.Parse("h:k", "/srv/root", "/"));
        // A relative local directory is the command's working directory's, never the process's.
        Assert.Equal("/srv/images/img", TargetAddress.Parse("local:img:unix", null, "/srv/images").Root);
        Assert.Equal("/srv/images/root", TargetAddress.Parse(null, "../images/root", "/srv/work").Root);
    }

    [Theory]
    [InlineData("-oProxyCommand=touch /tmp/x")]
    [InlineData("host;rm -rf /")]
    [InlineData("$(id)")]
    [InlineData("host name")]
    [InlineData("host:../../etc/passwd")]
    [InlineData("host:-x")]
    [InlineData("host:a/b")]
    [InlineData("host:")]
    [InlineData("host:..")]
    [InlineData("host:k\nx")]
    [InlineData("[::1")]
    [InlineData("[;id]:k")]
    [InlineData("local:/mnt/img:../../other")]
    [InlineData("local:/mnt/img:a/b")]
    [InlineData("local:/mnt/img:..")]
    [InlineData("local:/mnt/img:")]
    [InlineData("local:/mnt/img:-x")]
    public void Hostile_addresses_are_refused(string operand)
    {
        var e = Assert.Throws<UserError>(() => TargetAddress.Parse(operand, null, "/"));
        Assert.DoesNotContain("\n", e.Message);
    }

    [Fact]
    public void A_remote_root_must_be_absolute()
    {
        Assert.Throws<UserError>(() => TargetAddress.Parse("h", "relative/dir", "/"));
    }
}

public class DeviceListingTests
{
    [Fact]
    public void Majors_come_from_ls_ln_lines_of_block_and_character_nodes()
    {
        var majors = TargetReader.ParseDeviceListing("""
            crw-rw-rw- 1 0 0 1, 3 Nov 24 01:00 /t/dev/null
            brw-rw---- 1 0 6 8, 0 Nov 24 01:00 /t/dev/sda
            crw--w---- 1 0 5 136,  12 Nov 24 01:00 /t/dev/pts/12
            -rw-r--r-- 1 0 0 42 Nov 24 01:00 /t/dev/notanode
            lrwxrwxrwx 1 0 0 13 Nov 24 01:00 /t/dev/fd -> /proc/self/fd
            """);
        Assert.Equal([8], majors.Block.Order());
        Assert.Equal([1, 136], majors.Character.Order());
    }

    [Fact]
    public void The_majors_of_a_real_dev_directory_are_read_through_the_target()
    {
        using var root = new TempDir();
        Directory.CreateDirectory(root["dev"]);
        root.Write("dev/plain-file", "not a node\n");
        // Device nodes need root (as on CI); without it only the plain file is there, and no major.
        var made = ProcessRunner.Run(root.Path, "mknod", [root["dev/kst"], "c", "77", "1"]).ExitCode == 0;
        var majors = TargetReader.ReadDeviceMajors(KernelHost.Open(HostAddress.Local(root.Path, "local:", "/"), []));
        Assert.Equal(made ? [77] : [], majors.Character.Order());
        Assert.Empty(majors.Block);
    }
}
