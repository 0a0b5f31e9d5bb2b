using System.Diagnostics;
using System.Text;
using GitKsplice.Cli;

namespace GitKsplice.Kstuff.Targets;

/// <summary>What a script on the target printed and how it ended.</summary>
public sealed record TargetRun(int ExitCode, string Output, bool ConnectionLost);

/// <summary>
/// A step on the target failed. The message names the step and the target; <see cref="RemoteOutput"/>
/// holds what the target printed, shown to the user as "remote:" lines.
/// </summary>
public sealed class TargetStepFailed(string step, string target, string reason, string remoteOutput)
    : UserError($"{step} failed on {target}: {reason}")
{
    public string Step { get; } = step;
    public string RemoteOutput { get; } = remoteOutput;
}

/// <summary>
/// A machine that receives kernels. It runs POSIX shell scripts and nothing else: the target needs
/// only sh, tar and the usual file tools — never .NET. Paths on the target are written with
/// <see cref="PathOf"/>, which puts them under the target's root directory.
/// </summary>
public abstract class Target : IDisposable
{
    /// <summary>Ends what the target holds open (an ssh master connection).</summary>
    public virtual void Dispose() { }

    protected Target(TargetAddress address) => Address = address;

    public TargetAddress Address { get; }

    /// <summary>The name used in messages.</summary>
    public string Display => Address.Display;

    /// <summary>An absolute path of the target system as this target's scripts see it.</summary>
    public virtual string PathOf(string systemPath)
    {
        if (!systemPath.StartsWith('/')) throw new ArgumentException("target paths are absolute", nameof(systemPath));
        return Address.Root + systemPath;
    }

    /// <summary>Builds the process that runs <paramref name="script"/> with <paramref name="args"/> as $1….</summary>
    protected abstract ProcessStartInfo StartInfo(string script, IReadOnlyList<string> args);

    /// <summary>Exit status meaning the connection, not the script, failed.</summary>
    protected virtual bool IsConnectionFailure(int exitCode) => false;

    /// <summary>Cancelled when the user interrupts: the running step's process is killed and the step throws.</summary>
    public CancellationToken Interrupt { get; set; }

    /// <summary>
    /// Runs one script on the target. <paramref name="input"/> feeds its standard input (closed
    /// when it returns); <paramref name="output"/> consumes its standard output as bytes; otherwise
    /// standard output and standard error are collected as text and, line by line, passed to
    /// <paramref name="onLine"/> as they arrive.
    /// </summary>
    /// <param name="uninterruptible">Runs to its end even when interrupted (clean-ups, an install in progress).</param>
    public TargetRun Run(string script, IReadOnlyList<string> args, Action<Stream>? input = null,
        Action<Stream>? output = null, Action<string>? onLine = null, bool uninterruptible = false)
    {
        var psi = StartInfo(script, args);
        psi.RedirectStandardInput = true;
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        psi.UseShellExecute = false;
        using var process = new Process { StartInfo = psi };
        try { process.Start(); }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new UserError($"cannot run '{psi.FileName}': {e.Message}");
        }

        var interrupt = uninterruptible ? CancellationToken.None : Interrupt;
        using var killOnInterrupt = interrupt.Register(() => { try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { } });
        var text = new StringBuilder();
        var gate = new object();
        void Line(string? line)
        {
            if (line == null) return;
            lock (gate) { text.Append(line).Append('\n'); onLine?.Invoke(line); }
        }
        var stderrTask = Task.Run(() => { string? l; while ((l = process.StandardError.ReadLine()) != null) Line(l); });
        Task stdoutTask;
        Exception? outputError = null;
        if (output != null)
            stdoutTask = Task.Run(() =>
            {
                try { output(process.StandardOutput.BaseStream); }
                catch (Exception e) { outputError = e; }
                finally { process.StandardOutput.BaseStream.CopyTo(Stream.Null); }
            });
        else
            stdoutTask = Task.Run(() => { string? l; while ((l = process.StandardOutput.ReadLine()) != null) Line(l); });

        var inputBroken = false;
        try
        {
            if (input != null) input(process.StandardInput.BaseStream);
            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // The other end went away while we were writing; its exit status says why.
            inputBroken = true;
        }
        process.WaitForExit();
        // Interrupted: do not wait for the pipes, which an ssh master connection may still hold.
        interrupt.ThrowIfCancellationRequested();
        Task.WaitAll(stdoutTask, stderrTask);
        if (outputError is UserError userError) throw userError;
        if (outputError != null && process.ExitCode == 0) throw new UserError($"bad data from {Display}: {outputError.Message}", inner: outputError);
        var lost = IsConnectionFailure(process.ExitCode);
        var code = process.ExitCode == 0 && inputBroken ? 1 : process.ExitCode;
        return new TargetRun(code, text.ToString(), lost);
    }

    /// <summary>Runs a script as the named step and throws <see cref="TargetStepFailed"/> unless it succeeds.</summary>
    public string RunStep(string step, string script, IReadOnlyList<string> args, Action<Stream>? input = null,
        Action<Stream>? output = null, Action<string>? onLine = null)
    {
        var run = Run(script, args, input, output, onLine);
        if (run.ExitCode == 0) return run.Output;
        var reason = run.ConnectionLost ? "the connection was lost or refused" : $"exit status {run.ExitCode}";
        throw new TargetStepFailed(step, Display, reason, run.Output);
    }

    /// <summary>Opens the target named by an address, with the ssh command to use for remote ones.</summary>
    public static Target Open(TargetAddress address, IReadOnlyList<string> sshCommand, bool multiplex = false) =>
        address.IsLocal ? new LocalTarget(address) : new SshTarget(address, sshCommand, multiplex);
}

/// <summary>A directory on this machine standing for a target's root: scripts run in the local sh.</summary>
public sealed class LocalTarget(TargetAddress address) : Target(address)
{
    protected override ProcessStartInfo StartInfo(string script, IReadOnlyList<string> args)
    {
        if (!Directory.Exists(Address.Root))
            throw new UserError($"local target '{Address.Root}' is not a directory");
        var psi = new ProcessStartInfo("/bin/sh") { WorkingDirectory = Address.Root };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(script);
        psi.ArgumentList.Add("kstuff");
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["LC_ALL"] = "C";
        return psi;
    }

    /// <summary>
    /// Resolves the path inside the root as a chroot would: a symbolic link on the way, absolute or climbing
    /// with "..", stays inside it, so an image whose /stand links to /boot gets the image's /boot, never this
    /// machine's.
    /// </summary>
    public override string PathOf(string systemPath)
    {
        if (!systemPath.StartsWith('/')) throw new ArgumentException("target paths are absolute", nameof(systemPath));
        var pending = new List<string>(systemPath.Split('/', StringSplitOptions.RemoveEmptyEntries));
        var resolved = new List<string>();
        var links = 0;
        while (pending.Count > 0)
        {
            var part = pending[0];
            pending.RemoveAt(0);
            if (part == ".") continue;
            if (part == "..")
            {
                if (resolved.Count > 0) resolved.RemoveAt(resolved.Count - 1);
                continue;
            }
            var link = new FileInfo(Address.Root + "/" + string.Join('/', resolved.Append(part))).LinkTarget;
            if (link == null)
            {
                resolved.Add(part);
                continue;
            }
            if (++links > 40) throw new UserError($"{Display}: too many levels of symbolic links in {systemPath}");
            if (link.StartsWith('/')) resolved.Clear();
            pending.InsertRange(0, link.Split('/', StringSplitOptions.RemoveEmptyEntries));
        }
        return Address.Root + "/" + string.Join('/', resolved);
    }
}

/// <summary>
/// A host reached with the system's OpenSSH client, so the user's ~/.ssh/config, keys and agent apply.
/// The host is its own argument after "--"; the remote command is one string in which every word is
/// quoted for the POSIX shell. One master connection carries every step of a delivery (OpenSSH
/// multiplexing, git config kstuff.sshMultiplex=false turns it off), so a delivery authenticates once.
/// </summary>
public sealed class SshTarget : Target
{
    /// <summary>The ssh command when git config kstuff.sshCommand does not name one.</summary>
    public static readonly IReadOnlyList<string> DefaultCommand = ["ssh"];

    private readonly IReadOnlyList<string> _sshCommand;
    private readonly string? _controlDir;

    public SshTarget(TargetAddress address, IReadOnlyList<string> sshCommand, bool multiplex = false) : base(address)
    {
        if (sshCommand.Count == 0) throw new UserError("kstuff.sshCommand is empty");
        _sshCommand = sshCommand;
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
        psi.ArgumentList.Add(RemoteCommand(script, args));
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
        var dir = Directory.CreateTempSubdirectory("kstuff-ssh-").FullName;
        var ok = RunQuietly(["-o", "ControlMaster=yes", "-o", "ControlPersist=300", "-o", "ControlPath=" + Path.Combine(dir, "%C"),
            "-o", "ServerAliveInterval=15", "-o", "ServerAliveCountMax=4", "-N", "-f", "--", Address.Host!]);
        if (ok) return dir;
        Directory.Delete(dir, recursive: true);
        return null;
    }

    private bool RunQuietly(IEnumerable<string> sshArgs)
    {
        var psi = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        foreach (var word in (string[])["-c", "exec \"$@\" </dev/null >/dev/null 2>&1", "sh", .. _sshCommand, .. sshArgs])
            psi.ArgumentList.Add(word);
        try
        {
            using var p = Process.Start(psi)!;
            if (!p.WaitForExit(60_000)) { p.Kill(); return false; }
            return p.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception) { return false; }
    }

    /// <summary>Closes the master connection.</summary>
    public override void Dispose()
    {
        if (_controlDir == null) return;
        RunQuietly(["-o", "ControlPath=" + ControlPath, "-O", "exit", "--", Address.Host!]);
        try { Directory.Delete(_controlDir, recursive: true); } catch (IOException) { }
    }

    /// <summary>The single string ssh hands to the login shell on the host.</summary>
    public static string RemoteCommand(string script, IReadOnlyList<string> args) =>
        "exec /bin/sh -c " + PosixShell.Quote(script) + " kstuff " + PosixShell.Join(args);

    // ssh exits 255 when it could not connect or the connection broke; our scripts never use 255.
    protected override bool IsConnectionFailure(int exitCode) => exitCode == 255;
}
