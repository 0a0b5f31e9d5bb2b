using System.Diagnostics;
using System.Text;
using GitKsplice.Processes;
using GitKsplice.Reporting;

namespace GitKsplice.Transport;

/// <summary>What a script on the host printed and how it ended.</summary>
public sealed record HostRun(int ExitCode, string Output, bool ConnectionLost);

/// <summary>
/// A step on a host failed. The message names the step and the host; <see cref="RemoteOutput"/>
/// holds what the host printed, shown to the user as "remote:" lines.
/// </summary>
public sealed class HostStepFailed(string step, string host, string reason, string remoteOutput)
    : UserError($"{step} failed on {host}: {reason}")
{
    public string Step { get; } = step;
    public string RemoteOutput { get; } = remoteOutput;
}

/// <summary>
/// A machine that runs kernels, as a transport: it runs POSIX shell scripts and nothing else, each value an
/// argument ($1…) quoted for the shell, never spliced into the script; the host needs only sh and the usual
/// file tools — never .NET. Paths on the host are written with <see cref="PathOf"/>, which puts them under
/// its root directory. Knows nothing of what the scripts do (kstuff's delivery, ksplice's apply).
/// </summary>
public abstract class KernelHost : IDisposable
{
    /// <summary>Ends what the host holds open (an ssh master connection).</summary>
    public virtual void Dispose() { }

    protected KernelHost(HostAddress address) => Address = address;

    public HostAddress Address { get; }

    /// <summary>The name used in messages.</summary>
    public string Display => Address.Display;

    /// <summary>An absolute path of the host's system as the scripts run there see it.</summary>
    public virtual string PathOf(string systemPath)
    {
        if (!systemPath.StartsWith('/')) throw new ArgumentException("host paths are absolute", nameof(systemPath));
        return Address.Root + systemPath;
    }

    /// <summary>Builds the process that runs <paramref name="script"/> with <paramref name="args"/> as $1….</summary>
    protected abstract ProcessStartInfo StartInfo(string script, IReadOnlyList<string> args);

    /// <summary>Exit status meaning the connection, not the script, failed.</summary>
    protected virtual bool IsConnectionFailure(int exitCode) => false;

    /// <summary>Cancelled when the user interrupts: the running step's process is killed and the step throws.</summary>
    public CancellationToken Interrupt { get; set; }

    /// <summary>
    /// Whether a step that can be interrupted and sends no input stops on the host when its connection closes
    /// (the user's interrupt killed the client, or the link dropped), rather than running on there unseen. Off
    /// for scripts that start work meant to outlive a dropped connection.
    /// </summary>
    public bool StepsStopWithConnection { get; set; }

    /// <summary>
    /// The script made to stop when its connection closes, given that its standard input stays open until it
    /// ends; null on a host whose steps this process stops itself (a local one).
    /// </summary>
    protected virtual string? StoppingWithConnection(string script) => null;

    /// <summary>
    /// Runs one script on the host. <paramref name="input"/> feeds its standard input (closed
    /// when it returns); <paramref name="output"/> consumes its standard output as bytes; otherwise
    /// standard output and standard error are collected as text and, line by line, passed to
    /// <paramref name="onLine"/> as they arrive.
    /// </summary>
    /// <param name="uninterruptible">Runs to its end even when interrupted (clean-ups, an install in progress).</param>
    public HostRun Run(string script, IReadOnlyList<string> args, Action<Stream>? input = null,
        Action<Stream>? output = null, Action<string>? onLine = null, bool uninterruptible = false)
    {
        var watched = StepsStopWithConnection && input == null && !uninterruptible ? StoppingWithConnection(script) : null;
        if (watched != null) script = watched;
        // Under sudo the watch runs as root too, so that it can stop what the step started.
        if (Sudo) (script, args) = (SudoScript, [script, .. args]);
        var psi = StartInfo(script, args);
        psi.RedirectStandardInput = true;
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        var interrupt = uninterruptible ? CancellationToken.None : Interrupt;
        using var cleaningUp = uninterruptible ? ChildProcesses.CleanUp() : null;
        // Started by the core's runner: killed with its children when interrupted, and known to the
        // command-line layer, which kills what is left when the process ends on a signal.
        using var process = CommandRunner.Start(psi, interrupt);
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
            // A watched step's input ends with the step (or when the connection closes: the host's signal to stop it).
            if (watched == null) process.StandardInput.Close();
        }
        catch (IOException)
        {
            // The other end went away while we were writing; its exit status says why.
            inputBroken = true;
        }
        process.WaitForExit();
        if (watched != null) CloseQuietly(process.StandardInput);
        // Interrupted: do not wait for the pipes, which an ssh master connection may still hold.
        interrupt.ThrowIfCancellationRequested();
        Task.WaitAll(stdoutTask, stderrTask);
        if (outputError is UserError userError) throw userError;
        if (outputError != null && process.ExitCode == 0) throw new UserError($"bad data from {Display}: {outputError.Message}", inner: outputError);
        var lost = IsConnectionFailure(process.ExitCode);
        var code = process.ExitCode == 0 && inputBroken ? 1 : process.ExitCode;
        return new HostRun(code, text.ToString(), lost);
    }

    private static void CloseQuietly(StreamWriter input)
    {
        try { input.Close(); }
        catch (IOException) { } // the other end is gone already
    }

    /// <summary>Runs a script as the named step and throws <see cref="HostStepFailed"/> unless it succeeds.</summary>
    public string RunStep(string step, string script, IReadOnlyList<string> args, Action<Stream>? input = null,
        Action<Stream>? output = null, Action<string>? onLine = null)
    {
        var run = Run(script, args, input, output, onLine);
        if (run.ExitCode == 0) return run.Output;
        var reason = run.ConnectionLost ? "the connection was lost or refused" : $"exit status {run.ExitCode}";
        throw new HostStepFailed(step, Display, reason, run.Output);
    }

    /// <summary>
    /// Scripts run as root through <c>sudo -n</c> (never asking for a password): for a login that is not root
    /// on a host where that is allowed (ksplice.remoteSudo).
    /// </summary>
    public bool Sudo { get; set; }

    // The script and its arguments reach sudo as arguments, as they reach sh otherwise.
    private const string SudoScript = "script=$1; shift; exec sudo -n -- /bin/sh -c \"$script\" \"$0\" \"$@\"";

    /// <summary>The name scripts run under ($0), which the shell puts before its own error messages.</summary>
    public string ScriptName { get; init; } = "sh";

    /// <summary>Opens the host named by an address, with the ssh command to use for remote ones.</summary>
    public static KernelHost Open(HostAddress address, IReadOnlyList<string> sshCommand, bool multiplex = false, string scriptName = "sh",
        CancellationToken interrupt = default) =>
        address.IsThisMachine ? new LocalMachineHost(address) { ScriptName = scriptName, Interrupt = interrupt }
        : address.IsLocal ? new LocalRootHost(address) { ScriptName = scriptName, Interrupt = interrupt }
        : new SshHost(address, sshCommand, multiplex, interrupt) { ScriptName = scriptName };
}
