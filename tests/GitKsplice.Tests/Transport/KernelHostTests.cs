using System.Security.Cryptography;
using GitKsplice.Processes;
using GitKsplice.Tests.Support;
using GitKsplice.Transport;

namespace GitKsplice.Tests.Transport;

/// <summary>The transport to a kernel host: the test sshd on 127.0.0.1, and a local root.</summary>
[Trait(TestCategory.Name, TestCategory.Ssh)]
[Collection(SshCollection.Name)]
public class KernelHostTests(SshServer sshd)
{
    private static readonly string[] Hostile =
    [
        "plain", "two words", "it's", "$(touch /tmp/pwned)", "`id`", "a;b", "x\ny", "*", "-rf", "\"q\"", "back\\slash", "",
        "\u00e9t\u00e9", "semi;colon&amp|pipe>redir<in",
    ];

    private KernelHost Ssh(string root = "") =>
        KernelHost.Open(HostAddress.Remote(SshServer.HostAlias, root: root.Length > 0 ? root : null), PosixShell.SplitWords(sshd.SshCommand));

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
        var target = KernelHost.Open(HostAddress.Local(root.Path, "local:", "/"), []);
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
        var e = Assert.Throws<HostStepFailed>(() => Ssh().RunStep("build", "echo compiling; echo 'cc: error' >&2; exit 3", []));
        Assert.Equal("build", e.Step);
        Assert.Contains("build failed on kstuff-test: exit status 3", e.Message);
        Assert.Contains("cc: error", e.RemoteOutput);
        Assert.Contains("compiling", e.RemoteOutput);
    }

    [Fact]
    public void An_unreachable_host_is_a_lost_connection()
    {
        var target = KernelHost.Open(HostAddress.Remote("no-such-host.invalid"), PosixShell.SplitWords(sshd.SshCommand));
        var e = Assert.Throws<HostStepFailed>(() => target.RunStep("read configuration", "true", []));
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

    /// <summary>
    /// A dropped connection (sshd signals nothing to a command without a terminal): with steps that stop with their
    /// connection, a step that may be interrupted stops on the host at once; one that must run to its end (an
    /// install, a clean-up) still does, as does any step of a host that leaves its steps alone (live jobs).
    /// </summary>
    [Theory]
    [InlineData(true, false, false)]
    [InlineData(true, true, true)]
    [InlineData(false, false, true)]
    public async Task A_dropped_connection_stops_a_step_unless_it_must_run_to_its_end(bool stopsWithConnection, bool uninterruptible, bool finishes)
    {
        using var dir = new TempDir();
        using var host = Ssh();
        host.StepsStopWithConnection = stopsWithConnection;
        var (started, finished) = (dir["started"], dir["finished"]);
        // Three seconds of work, told apart from a stop by the file it writes at its end.
        const string script = "echo $$ > \"$1\"; i=0; while [ $i -lt 30 ]; do sleep 0.1; i=$((i + 1)); done; echo done > \"$2\"";
        var run = Task.Run(() => host.Run(script, [started, finished], uninterruptible: uninterruptible));
        HangGuard.Until(() => File.Exists(started) || run.IsCompleted, "the step's start");
        Assert.True(File.Exists(started), "the step never started");
        Assert.True(sshd.DropConnections() > 0);
        Assert.True((await run.WaitAsync(HangGuard.Bound)).ConnectionLost);
        // Ended either way (stopped, or three seconds after it started); only one that ran to its end wrote its file.
        var pid = int.Parse(File.ReadAllText(started).Trim());
        static bool Running(int pid)
        {
            try { return !File.ReadAllText($"/proc/{pid}/stat").Contains(") Z ", StringComparison.Ordinal); }
            catch (IOException) { return false; }
        }
        HangGuard.Until(() => !Running(pid), $"the end of the step (pid {pid})");
        Assert.Equal(finishes, File.Exists(finished));
    }

    [Fact]
    public void Ssh_command_words_split_like_a_shell()
    {
        Assert.Equal(["ssh", "-F", "/a b/c", "-o", "X=\"y\""], PosixShell.SplitWords("ssh -F '/a b/c' -o X=\\\"y\\\""));
        Assert.Throws<FormatException>(() => PosixShell.SplitWords("ssh 'oops"));
    }

    [Fact]
    public void A_local_root_resolves_links_inside_itself_as_a_chroot_would()
    {
        using var root = new TempDir();
        Directory.CreateDirectory(root["boot"]);
        Directory.CreateDirectory(root["etc/real"]);
        File.CreateSymbolicLink(root["stand"], "/boot");
        File.CreateSymbolicLink(root["etc/conf"], "real");
        File.CreateSymbolicLink(root["etc/up"], "../../../../..");
        var host = KernelHost.Open(HostAddress.Local(root.Path, "local:", "/"), []);
        Assert.Equal(root.Path + "/boot/unix", host.PathOf("/stand/unix"));
        Assert.Equal(root.Path + "/etc/real/mdevice.d", host.PathOf("/etc/conf/mdevice.d"));
        Assert.Equal(root.Path + "/etc/real", host.PathOf("/etc/up/etc/real"));
        Assert.Equal(root.Path + "/etc/real", host.PathOf("/stand/../etc/conf"));
        Assert.Equal(root.Path + "/new/dir", host.PathOf("/new/dir"));
        File.CreateSymbolicLink(root["loop"], "/loop");
        Assert.Throws<GitKsplice.Reporting.UserError>(() => host.PathOf("/loop/x"));
    }
}
