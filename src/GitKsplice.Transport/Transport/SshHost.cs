using System.Diagnostics;
using GitKsplice.Processes;
using GitKsplice.Reporting;

namespace GitKsplice.Transport;

/// <summary>
/// A host reached with the system's OpenSSH client, so the user's ~/.ssh/config, keys and agent apply.
/// The host is its own argument after "--"; the remote command is one string in which every word is
/// quoted for the POSIX shell. With <c>multiplex</c>, one master connection carries every script run
/// through this object (OpenSSH multiplexing), so a whole delivery authenticates once.
/// </summary>
public sealed class SshHost : KernelHost
{
    /// <summary>The ssh command when the settings name none.</summary>
    public static readonly IReadOnlyList<string> DefaultCommand = ["ssh"];

    private readonly IReadOnlyList<string> _sshCommand;
    private readonly string? _controlDir;

    public SshHost(HostAddress address, IReadOnlyList<string> sshCommand, bool multiplex = false, CancellationToken interrupt = default) : base(address)
    {
        if (sshCommand.Count == 0) throw new UserError("the ssh command is empty");
        _sshCommand = sshCommand;
        Interrupt = interrupt;
        if (multiplex) _controlDir = StartMaster();
    }

    private string ControlPath => Path.Combine(_controlDir!, "%C");

    protected override ProcessStartInfo StartInfo(string script, IReadOnlyList<string> args)
    {
        var psi = Ssh();
        // No terminal (binary data flows on stdin/stdout); notice a dead peer within a minute.
        foreach (var word in (string[])["-T", "-o", "ServerAliveInterval=15", "-o", "ServerAliveCountMax=4"])
            psi.ArgumentList.Add(word);
        if (_controlDir != null)
            foreach (var word in (string[])["-o", "ControlMaster=no", "-o", "ControlPath=" + ControlPath])
                psi.ArgumentList.Add(word);
        psi.ArgumentList.Add("--");
        psi.ArgumentList.Add(Address.Host!);
        psi.ArgumentList.Add(RemoteCommand(script, args, ScriptName));
        return psi;
    }

    private ProcessStartInfo Ssh()
    {
        var psi = new ProcessStartInfo(_sshCommand[0]);
        foreach (var word in _sshCommand.Skip(1)) psi.ArgumentList.Add(word);
        return psi;
    }

    /// <summary>
    /// Starts a master connection in the background, its output sent to /dev/null so that it holds none of
    /// our pipes. If it cannot start, every step connects on its own and reports its own error.
    /// </summary>
    private string? StartMaster()
    {
        // A socket path must stay short (about 100 bytes): a private directory under /tmp.
        var dir = Directory.CreateTempSubdirectory("git-ksplice-ssh-").FullName;
        var ok = RunQuietly(Interrupt, ["-o", "ControlMaster=yes", "-o", "ControlPersist=300", "-o", "ControlPath=" + Path.Combine(dir, "%C"),
            "-o", "ServerAliveInterval=15", "-o", "ServerAliveCountMax=4", "-N", "-f", "--", Address.Host!]);
        if (ok) return dir;
        Directory.Delete(dir, recursive: true);
        return null;
    }

    private bool RunQuietly(CancellationToken interrupt, IEnumerable<string> sshArgs)
    {
        var psi = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        foreach (var word in (string[])["-c", "exec \"$@\" </dev/null >/dev/null 2>&1", "sh", .. _sshCommand, .. sshArgs])
            psi.ArgumentList.Add(word);
        try
        {
            using var p = CommandRunner.Start(psi, interrupt);
            if (!p.WaitForExit(60_000)) { p.Kill(entireProcessTree: true); return false; }
            return p.ExitCode == 0;
        }
        catch (UserError) { return false; }
    }

    /// <summary>Closes the master connection.</summary>
    public override void Dispose()
    {
        if (_controlDir == null) return;
        // Not interruptible: an interrupted command still closes its master connection.
        RunQuietly(CancellationToken.None, ["-o", "ControlPath=" + ControlPath, "-O", "exit", "--", Address.Host!]);
        try { Directory.Delete(_controlDir, recursive: true); } catch (IOException) { }
    }

    /// <summary>
    /// A path under a root on the host (--target-root) is resolved there as a chroot would resolve it, like a
    /// local root's: a symbolic link on the way, absolute or climbing with "..", stays inside the root, so a
    /// root whose /stand links to /boot gets the root's /boot, never the host's own. Without a root the host's
    /// own links are the system's and need nothing.
    /// </summary>
    public override string PathOf(string systemPath)
    {
        var plain = base.PathOf(systemPath);
        if (Address.Root.Length == 0) return plain;
        var resolved = "";
        var run = Run(ResolveInRoot, [Address.Root, systemPath], output: s => resolved = new StreamReader(s).ReadToEnd());
        if (run.ExitCode != 0 || !resolved.EndsWith('\n'))
            throw new HostStepFailed($"resolving {systemPath} inside the root {Address.Root}", Display,
                run.ConnectionLost ? "the connection was lost or refused" : run.Output.Trim() is { Length: > 0 } why ? why : $"exit status {run.ExitCode}", run.Output);
        return resolved[..^1];
    }

    // $1: the root, $2: an absolute path under it. Prints the path with every link on the way resolved inside
    // the root ("/.." stays at the root), the last part included; parts that do not exist are kept as written.
    private const string ResolveInRoot = """
        LC_ALL=C; export LC_ALL
        R=$1; rest=$2; done=; n=0
        if [ ! -d "$R" ]; then echo "the target's root $R is not a directory" >&2; exit 1; fi
        while [ -n "$rest" ]; do
          part=${rest%%/*}
          case $rest in */*) rest=${rest#*/} ;; *) rest= ;; esac
          case $part in
            ''|.) continue ;;
            ..) done=${done%/*}; continue ;;
          esac
          if [ -L "$R$done/$part" ]; then
            n=$((n + 1))
            if [ $n -gt 40 ]; then echo "too many levels of symbolic links in $2" >&2; exit 1; fi
            link=$(readlink "$R$done/$part") || { echo "cannot read the link $R$done/$part (readlink)" >&2; exit 1; }
            case $link in /*) done= ;; esac
            rest=$link/$rest
          else
            done=$done/$part
          fi
        done
        printf '%s\n' "$R$done"
        """;

    /// <summary>
    /// sshd neither signals a command that has no terminal when its client goes away nor waits for it: the step
    /// would run on, unseen, after an interrupt or a dropped link. It does close the command's standard input
    /// then (at once, measured with OpenSSH 9.2, multiplexed or not), which the client otherwise holds open to
    /// the step's end. So a watcher reads that input, and if it ends while the step still runs, stops the
    /// step's process group: the session sshd made for this command (setsid), which the login shell exec'd.
    /// What ignores SIGTERM gets SIGKILL 3 s later. The watcher holds none of the output, so a step that
    /// ends is not kept waiting for it.
    /// </summary>
    protected override string StoppingWithConnection(string script) => """
        exec 3<&0 </dev/null
        (
          trap '' TERM
          cat <&3 >/dev/null 2>&1
          kill -0 $$ 2>/dev/null || exit 0
          kill -TERM 0; sleep 3; kill -KILL 0
        ) >/dev/null 2>&1 &
        exec 3<&-
        """ + "\n" + script;

    /// <summary>The single string ssh hands to the login shell on the host.</summary>
    public static string RemoteCommand(string script, IReadOnlyList<string> args, string scriptName) =>
        "exec /bin/sh -c " + PosixShell.Quote(script) + " " + PosixShell.Quote(scriptName) + " " + PosixShell.Join(args);

    // ssh exits 255 when it could not connect or the connection broke; our scripts never use 255.
    protected override bool IsConnectionFailure(int exitCode) => exitCode == 255;
}
