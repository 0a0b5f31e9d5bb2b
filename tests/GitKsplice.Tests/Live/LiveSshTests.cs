using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using GitKsplice.Processes;
using GitKsplice.Tests.Support;
using GitKsplice.Transport;

namespace GitKsplice.Tests.Live;

/// <summary>
/// apply, undo and view against the real sshd on 127.0.0.1 (this machine, whose kernel has no livepatch unless
/// it says otherwise), and the refusals that come before any host is reached. The Linux tests apply real modules
/// in a VM.
/// </summary>
[Trait(TestCategory.Name, TestCategory.Ssh)]
[Collection(SshCollection.Name)]
public class LiveSshTests(SshServer sshd)
{
    private TestRepo Repo()
    {
        var repo = CTree.Create();
        repo.Git("config", "ksplice.sshCommand", sshd.SshCommand);
        return repo;
    }

    /// <summary>A recorded update of the C tree (no module: a plain Makefile tree gets none).</summary>
    private static string Recorded(TestRepo repo, string id)
    {
        repo.Write("greet.c", CTree.Greet.Replace("return printf(\"hello, %s\\n\", name);", "return printf(\"hello, %s\\n\", name) + 1;"));
        var commit = repo.Commit("greet: one more");
        var r = repo.Ksplice("create", "--id", id, commit);
        Assert.True(r.ExitCode == 0, r.All);
        return commit;
    }

    [Fact]
    public void View_of_a_host_reads_its_kernel_over_ssh()
    {
        using var repo = Repo();
        var text = repo.Ksplice("view", SshServer.HostAlias);
        Assert.True(text.ExitCode == 0, text.All);
        if (ThisKernel.HasLivepatch) Assert.StartsWith($"{SshServer.HostAlias}: kernel {ThisKernel.Release}\n", text.StdOut);
        else Assert.Equal($"{SshServer.HostAlias}: kernel {ThisKernel.Release}\n  no /sys/kernel/livepatch: this kernel cannot take livepatches (CONFIG_LIVEPATCH)\n", text.StdOut);

        var json = repo.Ksplice("view", "--json", SshServer.HostAlias);
        using var doc = JsonDocument.Parse(json.StdOut);
        Assert.Equal(SshServer.HostAlias, doc.RootElement.GetProperty("host").GetString());
        Assert.Equal(ThisKernel.Release, doc.RootElement.GetProperty("release").GetString());
        Assert.Equal(ThisKernel.HasLivepatch, doc.RootElement.GetProperty("livepatch").GetBoolean());
        Assert.Equal(ThisKernel.HasLivepatch ? Directory.GetDirectories("/sys/kernel/livepatch").Length : 0, doc.RootElement.GetProperty("patches").GetArrayLength());
    }

    [Fact]
    public void Apply_to_a_host_without_livepatch_is_refused_and_recorded()
    {
        // The test sshd runs on this machine; CI's kernel (like the one these tests were written on) has no livepatch.
        Assert.False(ThisKernel.HasLivepatch, "this test needs a host whose kernel has no /sys/kernel/livepatch");
        using var repo = Repo();
        var post = Recorded(repo, "live01");
        using var dir = new TempDir();
        // The recorded update's id and post commit, with a module: a refusal is recorded in its note.
        var tarball = ModuleShapedUpdate.Write(dir.Path, "live01", ThisKernel.Release, post);

        var r = repo.Ksplice("apply", "--config", dir["config"], tarball, SshServer.HostAlias);

        Assert.Equal(1, r.ExitCode);
        Assert.Equal($"error: {SshServer.HostAlias} has no /sys/kernel/livepatch: its kernel ({ThisKernel.Release}) was built without CONFIG_LIVEPATCH\n", r.StdErr);
        Assert.Contains("ok root: root\nrefused livepatch:", r.StdOut);
        var note = repo.Git("notes", "--ref", "ksplice", "show", post);
        Assert.Contains($"ksplice-applied: live01\nhost: {SshServer.HostAlias}\nkernel: {ThisKernel.Release}\nwhen: ", note);
        Assert.Contains("result: refused\nfailure: kstuff-test has no /sys/kernel/livepatch", note);
        Assert.Contains("ksplice-update: live01", note);
        // Nothing was copied: the refusal came before.
        Assert.False(File.Exists("/var/lib/git-ksplice/ksplice_live01.ko"));
    }

    [Fact]
    public void Undo_and_dry_run_on_a_host_without_livepatch_are_refused()
    {
        Assert.False(ThisKernel.HasLivepatch, "this test needs a host whose kernel has no /sys/kernel/livepatch");
        using var repo = Repo();
        var post = Recorded(repo, "live02");
        var note = repo.Git("notes", "--ref", "ksplice", "show", post);

        var undo = repo.Ksplice("undo", "live02", SshServer.HostAlias);
        Assert.Equal(1, undo.ExitCode);
        Assert.Equal($"fatal: {SshServer.HostAlias} has no /sys/kernel/livepatch: its kernel ({ThisKernel.Release}) was built without CONFIG_LIVEPATCH\n", undo.StdErr);

        using var dir = new TempDir();
        var tarball = ModuleShapedUpdate.Write(dir.Path, "live02", ThisKernel.Release, post);
        var dry = repo.Ksplice("apply", "--dry-run", "--json", "--config", dir["config"], tarball, SshServer.HostAlias);
        Assert.Equal(1, dry.ExitCode);
        using var doc = JsonDocument.Parse(dry.StdOut);
        Assert.True(doc.RootElement.GetProperty("dryRun").GetBoolean());
        Assert.Equal("refused", doc.RootElement.GetProperty("result").GetString());
        // A dry run records nothing.
        Assert.Equal(note, repo.Git("notes", "--ref", "ksplice", "show", post));
    }

    [Fact]
    public void Apply_on_this_machine_checks_its_kernel_and_loads_nothing()
    {
        using var repo = Repo();
        using var dir = new TempDir();
        var tarball = ModuleShapedUpdate.Write(dir.Path, "here01", "6.1.192+");
        var r = repo.Ksplice("apply", "--config", dir["config"], tarball);
        Assert.Equal(1, r.ExitCode);
        var expected = Environment.UserName == "root"
            ? ThisKernel.HasLivepatch ? $"error: update here01 is built for kernel 6.1.192+, but this machine runs {ThisKernel.Release}\n"
                : $"error: this machine has no /sys/kernel/livepatch: its kernel ({ThisKernel.Release}) was built without CONFIG_LIVEPATCH\n"
            : "error: loading a livepatch on this machine needs root";
        Assert.StartsWith(expected, r.StdErr);
    }

    [Fact]
    public void Bad_input_is_one_line_each_before_any_host_is_reached()
    {
        using var repo = Repo();
        Recorded(repo, "plain01");
        using var dir = new TempDir();

        Assert.Equal("fatal: no such update: 'nope'\n", repo.Ksplice("apply", "nope", SshServer.HostAlias).StdErr);
        Assert.Equal("fatal: no such update: 'nope'\n", repo.Ksplice("undo", "nope", SshServer.HostAlias).StdErr);

        var plain = repo.Ksplice("apply", "plain01", SshServer.HostAlias);
        Assert.Equal(1, plain.ExitCode);
        Assert.StartsWith("fatal: update plain01 holds no livepatch module", plain.StdErr);
        Assert.Equal(1, plain.StdErr.Count(c => c == '\n'));

        var damaged = ModuleShapedUpdate.Write(dir.Path, "bad01", ThisKernel.Release, sha256Override: new string('a', 64));
        var corrupt = repo.Ksplice("apply", "--config", dir["config"], damaged, SshServer.HostAlias);
        Assert.Equal(1, corrupt.ExitCode);
        Assert.Matches($"^fatal: module ksplice_bad01.ko in {damaged} is damaged: its sha256 is [0-9a-f]{{64}}, its manifest says a{{64}}\n$", corrupt.StdErr);

        Assert.Equal($"fatal: no such update tarball: {dir["gone.tar.gz"]}\n", repo.Ksplice("apply", dir["gone.tar.gz"]).StdErr);
        var option = repo.Ksplice("apply", "plain01", "--", "-oProxyCommand=touch /tmp/x");
        Assert.Equal(1, option.ExitCode);
        Assert.StartsWith("fatal: bad host name '-oProxyCommand=touch /tmp/x'", option.StdErr);
        var timeout = repo.Ksplice("apply", "--timeout", "0", "plain01");
        Assert.Equal(129, timeout.ExitCode);
        Assert.Contains("--timeout must be positive", timeout.StdErr);
    }

    [Fact]
    public void An_unreachable_host_is_named_with_ssh_s_reason()
    {
        using var repo = Repo();
        Recorded(repo, "away01");
        // A port on 127.0.0.1 nobody listens on (bound, then closed).
        int port;
        using (var listener = new TcpListener(IPAddress.Loopback, 0)) { listener.Start(); port = ((IPEndPoint)listener.LocalEndpoint).Port; }
        var config = repo.Path(".git/dead_ssh_config");
        File.WriteAllText(config, $"Host dead-host\n  HostName 127.0.0.1\n  Port {port}\n  BatchMode yes\n  ConnectTimeout 5\n");
        repo.Git("config", "ksplice.sshCommand", $"ssh -F '{config}'");

        var r = repo.Ksplice("undo", "away01", "dead-host");

        Assert.Equal(1, r.ExitCode);
        Assert.Equal($"fatal: cannot reach dead-host: ssh: connect to host 127.0.0.1 port {port}: Connection refused\n", r.StdErr);
    }

    /// <summary>
    /// The remote step is killed when interrupted, not waited for. How fast is not asserted (a loaded CI machine
    /// took 1.38 s): the step sleeps longer than the hang guard, so a wait for it fails as a hang.
    /// </summary>
    [Fact]
    public async Task A_remote_step_stops_when_interrupted()
    {
        using var interrupt = new CancellationTokenSource();
        using var host = KernelHost.Open(HostAddress.Remote(SshServer.HostAlias), PosixShell.SplitWords(sshd.SshCommand), multiplex: true, interrupt: interrupt.Token);
        Assert.Equal(0, host.Run("true", []).ExitCode);
        interrupt.CancelAfter(300);
        // A sleep no other test runs: the multiplexed session leaves it on the target, where the test ends it.
        var sleep = $"sleep 3600.{Random.Shared.Next(100_000, 999_999)}";
        var step = Task.Run(() => host.Run(sleep, []));
        HangGuard.Ended(step, "the interrupted remote step's stop");
        ProcessRunner.Run("/", "pkill", ["-f", sleep]);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => step);
    }
}
