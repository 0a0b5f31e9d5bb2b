using System.Diagnostics;
using System.Text;

namespace GitKsplice.Processes;

public sealed record CommandResult(int ExitCode, string StdOut, string StdErr)
{
    public bool Succeeded => ExitCode == 0;
}

/// <summary>Runs external programs (git, make, patch) with arguments passed as a list, never through a shell.</summary>
public static class CommandRunner
{
    public static CommandResult Run(string workDir, string file, IEnumerable<string> args,
        IReadOnlyDictionary<string, string?>? env = null, string? stdin = null, CancellationToken cancel = default)
    {
        var psi = Start(workDir, file, args, env);
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        psi.RedirectStandardInput = stdin != null;
        var started = Stopwatch.GetTimestamp();
        using var p = StartProcess(psi, file);
        var stdout = p.StandardOutput.ReadToEndAsync(cancel);
        var stderr = p.StandardError.ReadToEndAsync(cancel);
        if (stdin != null)
        {
            p.StandardInput.Write(stdin);
            p.StandardInput.Close();
        }
        WaitOrKill(p, cancel);
        Cli.PerformanceTrace.Ran(file, psi.ArgumentList, Stopwatch.GetElapsedTime(started));
        return new CommandResult(p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Like <see cref="Run"/>, with stdout kept as bytes: for plumbing that prints object contents by byte count.</summary>
    public static (int ExitCode, byte[] StdOut, string StdErr) RunBinary(string workDir, string file, IEnumerable<string> args,
        IReadOnlyDictionary<string, string?>? env = null, string? stdin = null)
    {
        var psi = Start(workDir, file, args, env);
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        psi.RedirectStandardInput = stdin != null;
        var started = Stopwatch.GetTimestamp();
        using var p = StartProcess(psi, file);
        var stdout = new MemoryStream();
        var copy = p.StandardOutput.BaseStream.CopyToAsync(stdout);
        var stderr = p.StandardError.ReadToEndAsync();
        if (stdin != null)
        {
            p.StandardInput.Write(stdin);
            p.StandardInput.Close();
        }
        copy.GetAwaiter().GetResult();
        p.WaitForExit();
        Cli.PerformanceTrace.Ran(file, psi.ArgumentList, Stopwatch.GetElapsedTime(started));
        return (p.ExitCode, stdout.ToArray(), stderr.Result);
    }

    /// <summary>
    /// Runs a program with both output streams appended to a log file; returns the exit code.
    /// <paramref name="whileRunning"/> runs on this thread once the program has started.
    /// </summary>
    public static int RunLogged(string workDir, string file, IEnumerable<string> args, string logPath,
        IReadOnlyDictionary<string, string?>? env = null, Action<string>? echo = null, Action? whileRunning = null,
        CancellationToken cancel = default)
    {
        var psi = Start(workDir, file, args, env);
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        using var log = new StreamWriter(logPath, append: true, Encoding.UTF8) { AutoFlush = true };
        var gate = new object();
        void Line(string? line)
        {
            if (line == null) return;
            lock (gate) { log.WriteLine(line); echo?.Invoke(line); }
        }
        var started = Stopwatch.GetTimestamp();
        using var p = StartProcess(psi, file);
        p.OutputDataReceived += (_, e) => Line(e.Data);
        p.ErrorDataReceived += (_, e) => Line(e.Data);
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        try { whileRunning?.Invoke(); }
        catch
        {
            try { p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            throw;
        }
        WaitOrKill(p, cancel);
        p.WaitForExit(); // drains the asynchronous readers
        Cli.PerformanceTrace.Ran(file, psi.ArgumentList, Stopwatch.GetElapsedTime(started));
        return p.ExitCode;
    }

    /// <summary>
    /// Starts a program that talks over its standard streams (all three redirected), for a caller that sends
    /// its input later; the caller owns and disposes the process.
    /// </summary>
    public static Process Spawn(string workDir, string file, IEnumerable<string> args, IReadOnlyDictionary<string, string?>? env = null)
    {
        var psi = Start(workDir, file, args, env);
        psi.RedirectStandardInput = true;
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        return StartProcess(psi, file);
    }

    private static ProcessStartInfo Start(string workDir, string file, IEnumerable<string> args,
        IReadOnlyDictionary<string, string?>? env)
    {
        var psi = new ProcessStartInfo(file) { WorkingDirectory = workDir, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (env != null)
            foreach (var (k, v) in env)
                if (v == null) psi.Environment.Remove(k); else psi.Environment[k] = v;
        return psi;
    }

    private static Process StartProcess(ProcessStartInfo psi, string file)
    {
        try { return Process.Start(psi) ?? throw new Cli.UserError($"could not start '{file}'"); }
        catch (System.ComponentModel.Win32Exception e) { throw new Cli.UserError($"could not run '{file}': {e.Message}"); }
    }

    private static void WaitOrKill(Process p, CancellationToken cancel)
    {
        try { p.WaitForExitAsync(cancel).GetAwaiter().GetResult(); }
        catch (OperationCanceledException)
        {
            try { p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            throw;
        }
    }
}
