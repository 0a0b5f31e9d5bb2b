using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using GitKsplice.Tests.Support;

namespace GitKsplice.Tests.Support;

/// <summary>
/// A real OpenSSH server on 127.0.0.1 for the delivery tests: its own host key, configuration and a key
/// made for the test, running as the current user (root on CI, allowed in its configuration).
/// Clients reach it as host "kstuff-test" through <see cref="ClientConfig"/>; as root it also lets the same key
/// log in as the accounts of <see cref="TestAccounts"/> ("ksplice-test@kstuff-test").
/// </summary>
public sealed class SshServer : IDisposable
{
    public const string HostAlias = "kstuff-test";
    private readonly TempDir _dir = new();
    private readonly Process _sshd;

    public int Port { get; }
    public string ClientConfig => _dir["ssh_config"];

    /// <summary>The value for git config kstuff.sshCommand that reaches this server.</summary>
    public string SshCommand => $"ssh -F '{ClientConfig}'";

    public SshServer()
    {
        const string sshd = "/usr/sbin/sshd";
        if (!File.Exists(sshd))
            throw new InvalidOperationException("openssh-server is missing: run scripts/install-test-deps.sh");
        Keygen("host_key");
        Keygen("client_key");
        File.Copy(_dir["client_key.pub"], _dir["authorized_keys"]);
        var user = Environment.UserName;
        var isRoot = ProcessRunner.Run(_dir.Path, "id", ["-u"]).StdOut.Trim() == "0";
        if (isRoot)
        {
            // As root sshd needs its privilege separation directory; a fresh machine may not have it.
            Directory.CreateDirectory("/run/sshd");
            // sshd reads the authorized keys as the user logging in: the accounts that are not root
            // (TestAccounts) reach the key through this directory. The client's private key stays 0600.
            File.SetUnixFileMode(_dir.Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
            File.SetUnixFileMode(_dir["authorized_keys"], UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        }
        Port = FreePort();
        _dir.Write("sshd_config", $"""
            Port {Port}
            ListenAddress 127.0.0.1
            HostKey {_dir["host_key"]}
            PidFile {_dir["sshd.pid"]}
            AuthorizedKeysFile {_dir["authorized_keys"]}
            PermitRootLogin prohibit-password
            PubkeyAuthentication yes
            PasswordAuthentication no
            KbdInteractiveAuthentication no
            UsePAM no
            StrictModes no
            LogLevel ERROR
            MaxStartups 50
            MaxSessions 50
            """);
        _dir.Write("known_hosts", $"{HostAlias} {File.ReadAllText(_dir["host_key.pub"]).Trim()}\n");
        _dir.Write("ssh_config", $"""
            Host {HostAlias}
              HostName 127.0.0.1
              Port {Port}
              User {user}
              HostKeyAlias {HostAlias}
              IdentityFile {_dir["client_key"]}
              IdentitiesOnly yes
              UserKnownHostsFile {_dir["known_hosts"]}
              StrictHostKeyChecking yes
              BatchMode yes
              ConnectTimeout 10
              LogLevel ERROR
            """);
        var psi = new ProcessStartInfo(sshd) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in (string[])["-D", "-e", "-f", _dir["sshd_config"]]) psi.ArgumentList.Add(a);
        _sshd = Process.Start(psi)!;
        _sshd.ErrorDataReceived += (_, _) => { };
        _sshd.BeginErrorReadLine();
        _sshd.BeginOutputReadLine();
        WaitUntilReachable();
    }

    /// <summary>The process id of the listening sshd; its children are the live sessions.</summary>
    public int ListenerPid => _sshd.Id;

    /// <summary>Drops every open connection by killing the per-connection sshd processes.</summary>
    public int DropConnections()
    {
        var killed = 0;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            string stat;
            try { stat = File.ReadAllText(Path.Combine(dir, "stat")); } catch (IOException) { continue; }
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            if (int.Parse(fields[1]) != ListenerPid) continue;
            try { Process.GetProcessById(pid).Kill(); killed++; } catch (ArgumentException) { } catch (InvalidOperationException) { }
        }
        return killed;
    }

    private void WaitUntilReachable()
    {
        var last = "";
        try
        {
            HangGuard.Until(() =>
            {
                if (_sshd.HasExited) throw new InvalidOperationException($"sshd exited with {_sshd.ExitCode}");
                var r = ProcessRunner.Run(_dir.Path, "ssh", ["-F", ClientConfig, HostAlias, "true"]);
                last = r.StdErr;
                return r.ExitCode == 0;
            }, "the test sshd answering");
        }
        catch (TimeoutException e) { throw new InvalidOperationException($"{e.Message}: {last}", e); }
    }

    private void Keygen(string name)
    {
        var r = ProcessRunner.Run(_dir.Path, "ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "kstuff-test", "-f", _dir[name]]);
        if (r.ExitCode != 0) throw new InvalidOperationException("ssh-keygen failed: " + r.All);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        try { if (!_sshd.HasExited) { _sshd.Kill(); _sshd.WaitForExit(5000); } } catch (InvalidOperationException) { }
        _sshd.Dispose();
        _dir.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class SshCollection : ICollectionFixture<SshServer>
{
    public const string Name = "sshd on 127.0.0.1";
}
