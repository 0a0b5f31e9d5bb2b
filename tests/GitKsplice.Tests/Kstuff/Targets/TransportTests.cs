using System.Security.Cryptography;
using GitKsplice.Cli;
using GitKsplice.Kstuff.Targets;
using GitKsplice.Tests.Support;

namespace GitKsplice.Tests.Kstuff.Targets;

[Trait(TestCategory.Name, TestCategory.Ssh)]
[Collection(SshCollection.Name)]
public class TransportTests(SshServer sshd)
{
    private static readonly string[] Hostile =
    [
        "plain", "two words", "it's", "$(touch /tmp/pwned)", "`id`", "a;b", "x\ny", "*", "-rf", "\"q\"", "back\\slash", "",
        "\u00e9t\u00e9", "semi;colon&amp|pipe>redir<in",
    ];

    private Target Ssh(string root = "") =>
        Target.Open(TargetAddress.Parse(SshServer.HostAlias, root.Length > 0 ? root : null), PosixShell.SplitWords(sshd.SshCommand));

    [Fact]
    public void Arguments_reach_the_remote_shell_unchanged()
    {
        var run = Ssh().Run("for a in \"$@\"; do printf '[%s]\\n' \"$a\"; done", Hostile);
        Assert.Equal(0, run.ExitCode);
        Assert.Equal(string.Concat(Hostile.Select(h => $"[{h}]\n")), run.Output);
    }

    [Fact]
    public void Arguments_reach_the_local_shell_unchanged()
    {
        using var root = new TempDir();
        var target = Target.Open(TargetAddress.Parse("local:" + root.Path, null), []);
        var run = target.Run("for a in \"$@\"; do printf '[%s]\\n' \"$a\"; done", Hostile);
        Assert.Equal(string.Concat(Hostile.Select(h => $"[{h}]\n")), run.Output);
    }

    [Fact]
    public void Binary_data_round_trips_through_stdin_and_stdout()
    {
        var data = RandomNumberGenerator.GetBytes(3 << 20);
        using var received = new MemoryStream();
        var run = Ssh().Run("cat", [], input: s => s.Write(data), output: s => s.CopyTo(received));
        Assert.Equal(0, run.ExitCode);
        Assert.Equal(data, received.ToArray());
    }

    [Fact]
    public void A_failing_script_names_the_step_and_keeps_the_remote_output()
    {
        var e = Assert.Throws<TargetStepFailed>(() => Ssh().RunStep("build", "echo compiling; echo 'cc: error' >&2; exit 3", []));
        Assert.Equal("build", e.Step);
        Assert.Contains("build failed on kstuff-test: exit status 3", e.Message);
        Assert.Contains("cc: error", e.RemoteOutput);
        Assert.Contains("compiling", e.RemoteOutput);
    }

    [Fact]
    public void An_unreachable_host_is_a_lost_connection()
    {
        var target = Target.Open(TargetAddress.Parse("no-such-host.invalid", null), PosixShell.SplitWords(sshd.SshCommand));
        var e = Assert.Throws<TargetStepFailed>(() => target.RunStep("read configuration", "true", []));
        Assert.Contains("connection was lost or refused", e.Message);
    }

    [Fact]
    public void Remote_root_prefixes_every_target_path()
    {
        using var root = new TempDir();
        root.Write("etc/conf/x", "hello");
        var target = Ssh(root.Path);
        Assert.Equal("hello\n", target.RunStep("read", "cat \"$1\"", [target.PathOf("/etc/conf/x")]));
    }
}

public class TargetAddressTests
{
    [Theory]
    [InlineData("host", "host", null)]
    [InlineData("user@host.example:unix", "user@host.example", "unix")]
    [InlineData("h:unix.joe", "h", "unix.joe")]
    [InlineData("[::1]:test", "::1", "test")]
    public void Good_addresses_parse(string operand, string host, string? kname)
    {
        var a = TargetAddress.Parse(operand, null);
        Assert.Equal(host, a.Host);
        Assert.Equal(kname, a.Kname);
    }

    [Fact]
    public void Local_targets_take_a_directory_and_an_optional_kname()
    {
        Assert.Equal(new TargetAddress(null, "/mnt/img", "unix"), TargetAddress.Parse("local:/mnt/img:unix", null));
        Assert.Equal(new TargetAddress(null, "/mnt/img", null), TargetAddress.Parse("local:/mnt/img", null));
        Assert.Equal(new TargetAddress(null, "/srv/root", null), TargetAddress.Parse(null, "/srv/root/"));
        Assert.Equal(new TargetAddress("h", "/srv/root", "k"), TargetAddress.Parse("h:k", "/srv/root"));
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
        var e = Assert.Throws<UserError>(() => TargetAddress.Parse(operand, null));
        Assert.DoesNotContain("\n", e.Message);
    }

    [Fact]
    public void A_remote_root_must_be_absolute()
    {
        Assert.Throws<UserError>(() => TargetAddress.Parse("h", "relative/dir"));
    }

    [Fact]
    public void Ssh_command_words_split_like_a_shell()
    {
        Assert.Equal(["ssh", "-F", "/a b/c", "-o", "X=\"y\""], PosixShell.SplitWords("ssh -F '/a b/c' -o X=\\\"y\\\""));
        Assert.Throws<FormatException>(() => PosixShell.SplitWords("ssh 'oops"));
    }
}

public class DeviceListingTests
{
    [Fact]
    public void Majors_come_from_ls_ln_lines_of_block_and_character_nodes()
    {
        var majors = GitKsplice.Kstuff.Targets.TargetReader.ParseDeviceListing("""
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
        var majors = TargetReader.ReadDeviceMajors(Target.Open(TargetAddress.Parse("local:" + root.Path, null), []));
        Assert.Equal(made ? [77] : [], majors.Character.Order());
        Assert.Empty(majors.Block);
    }
}
