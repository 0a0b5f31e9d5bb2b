using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using GitKsplice.Vm;

namespace GitKsplice.Tests.Support;

/// <summary>
/// A kernel booted under QEMU (TCG) with Debian's dropbear as its ssh server, for apply, undo and view over a real
/// ssh connection to a real livepatch-capable kernel. The initramfs holds the static busybox, dropbear with the
/// shared libraries it needs, a host key and the test's client key for root and for an unprivileged user; the
/// guest's only network is QEMU's user network with restrict=on, reached through 127.0.0.1:<see cref="Port"/>.
/// Clients reach it as <see cref="RootAlias"/> or <see cref="UserAlias"/> through <see cref="ClientConfig"/>.
/// </summary>
public sealed class SshGuest : IDisposable
{
    public const string RootAlias = "ksplice-vm", UserAlias = "ksplice-vm-user";
    private const string Ready = GuestScript.Marker + " ssh-ready";
    private const string Dropbear = "/usr/sbin/dropbear", Dropbearkey = "/usr/bin/dropbearkey";
    private readonly TempDir _dir = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task<VmResult> _vm;
    private readonly List<string> _serial = [];

    public int Port { get; }
    public string ClientConfig => _dir["ssh_config"];
    public string SerialLog => _dir["serial.log"];

    /// <summary>The value for git config ksplice.sshCommand that reaches this guest.</summary>
    public string SshCommand => $"ssh -F '{ClientConfig}'";

    /// <summary>From QEMU's start to the first ssh command that succeeded.</summary>
    public TimeSpan BootTime { get; }

    public SshGuest(string kernel)
    {
        foreach (var tool in (string[])[Dropbear, Dropbearkey])
            if (!File.Exists(tool)) throw new InvalidOperationException($"{tool} is missing: run scripts/install-test-deps.sh (dropbear-bin)");
        Run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "ksplice-test", "-f", _dir["client_key"]);
        Run(Dropbearkey, "-t", "ed25519", "-f", _dir["host_key"]);
        var hostPublic = Run(Dropbearkey, "-y", "-f", _dir["host_key"]).Split('\n').First(l => l.StartsWith("ssh-ed25519 ", StringComparison.Ordinal));
        Port = FreePort();
        _dir.Write("known_hosts", $"{RootAlias} {hostPublic}\n");
        _dir.Write("ssh_config", $"""
            Host {RootAlias} {UserAlias}
              HostName 127.0.0.1
              Port {Port}
              HostKeyAlias {RootAlias}
              IdentityFile {_dir["client_key"]}
              IdentitiesOnly yes
              UserKnownHostsFile {_dir["known_hosts"]}
              StrictHostKeyChecking yes
              BatchMode yes
              ConnectTimeout 20
              LogLevel ERROR
            Host {RootAlias}
              User root
            Host {UserAlias}
              User guest
            """);

        var authorized = File.ReadAllBytes(_dir["client_key.pub"]);
        var files = new List<GuestFile>
        {
            new("/etc/passwd", "root:x:0:0:root:/root:/bin/sh\nguest:x:1000:1000:guest:/home/guest:/bin/sh\n"u8.ToArray()),
            new("/etc/group", "root:x:0:\nguest:x:1000:\n"u8.ToArray()),
            new("/etc/shells", "/bin/sh\n"u8.ToArray()),
            new("/etc/dropbear/host_key", File.ReadAllBytes(_dir["host_key"])),
            new("/root/.ssh/authorized_keys", authorized),
            new("/home/guest/.ssh/authorized_keys", authorized),
            new(Dropbear, File.ReadAllBytes(Dropbear), Executable: true),
        };
        files.AddRange(SharedLibraries(Dropbear).Select(lib => new GuestFile(lib, File.ReadAllBytes(lib), Executable: true)));
        var init = new GuestScript()
            .Line("ifconfig lo 127.0.0.1 up")
            .Line($"ifconfig eth0 {QemuMachine.GuestAddress} netmask 255.255.255.0 up")
            .Line($"{Dropbear} -r /etc/dropbear/host_key -s -E -p 22 </dev/null >/dev/console 2>&1")
            .Line($"echo '{Ready}'")
            .Line("while :; do sleep 3600; done")
            .Render();
        var initramfs = _dir["initramfs.cpio.gz"];
        Initramfs.Write(initramfs, VmTools.StaticBusybox(), init, files);

        var started = Stopwatch.StartNew();
        var request = new VmRequest(kernel, initramfs, SerialLog, TimeSpan.FromHours(1)) { SshPort = Port };
        _vm = Task.Run(() => QemuMachine.Run(request, line => { lock (_serial) _serial.Add(line); }, _stop.Token));
        WaitForSsh();
        BootTime = started.Elapsed;
    }

    /// <summary>What the serial console showed so far.</summary>
    public string Serial { get { lock (_serial) return string.Join("\n", _serial); } }

    /// <summary>Runs a command in the guest as root over ssh.</summary>
    public RunResult Ssh(string command) => ProcessRunner.Run("/", "ssh", ["-F", ClientConfig, RootAlias, command]);

    private void WaitForSsh()
    {
        try
        {
            HangGuard.Until(() =>
            {
                if (_vm.IsCompleted) throw new InvalidOperationException($"the guest stopped before its ssh server answered:\n{Serial}");
                bool ready;
                lock (_serial) ready = _serial.Contains(Ready);
                return ready && Ssh("true").ExitCode == 0;
            }, "the guest's ssh server answering");
        }
        catch (TimeoutException e) { throw new InvalidOperationException($"{e.Message}:\n{Serial}", e); }
    }

    /// <summary>The shared libraries a dynamically linked program loads (ldd's answer), with the dynamic loader.</summary>
    private static IEnumerable<string> SharedLibraries(string program)
    {
        foreach (var line in Run("ldd", program).Split('\n'))
        {
            var words = line.Trim().Split(' ');
            var path = words.Length >= 3 && words[1] == "=>" ? words[2] : words.Length >= 1 && words[0].StartsWith('/') ? words[0] : null;
            if (path != null && File.Exists(path)) yield return path;
        }
    }

    private static string Run(string file, params string[] args)
    {
        var r = ProcessRunner.Run("/", file, args);
        return r.ExitCode == 0 ? r.StdOut : throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed: {r.All}");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        _stop.Cancel();
        try { _vm.Wait(TimeSpan.FromSeconds(10)); } catch (AggregateException) { }
        _stop.Dispose();
        _dir.Dispose();
    }
}
