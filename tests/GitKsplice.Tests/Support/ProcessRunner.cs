using System.Diagnostics;

namespace GitKsplice.Tests.Support;

public sealed record RunResult(int ExitCode, string StdOut, string StdErr)
{
    public string All => StdOut + StdErr;
}

/// <summary>Runs real programs (git, gcc, make, our executables) the way a user's shell would.</summary>
public static class ProcessRunner
{
    /// <summary>
    /// The directory holding the git-ksplice and git-kstuff executables under test: GIT_KSPLICE_TEST_TOOLS when
    /// set (test.sh points it at the natively compiled tools install.sh ships), else this build's own output.
    /// </summary>
    public static string ToolDirectory { get; } =
        Environment.GetEnvironmentVariable("GIT_KSPLICE_TEST_TOOLS") is { Length: > 0 } tools ? Path.GetFullPath(tools) : AppContext.BaseDirectory;

    /// <summary>
    /// Starts one of our tools the way a terminal would, with SIGINT at its default disposition: a test run
    /// launched in the background (as CI may do) inherits SIGINT ignored, and a program keeps ignoring a
    /// signal ignored at its start, as Unix convention wants. env(1) resets it and execs the tool (same pid).
    /// </summary>
    public static ProcessStartInfo ToolWithDefaultSignals(string tool, IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo("env") { UseShellExecute = false };
        psi.ArgumentList.Add("--default-signal=INT");
        psi.ArgumentList.Add(Path.Combine(ToolDirectory, tool));
        foreach (var a in args) psi.ArgumentList.Add(a);
        return psi;
    }

    /// <summary>
    /// Runs a tool started by <see cref="ToolWithDefaultSignals"/> to its end, as <see cref="InterruptedPartWay"/>
    /// will run it again, and returns what it said with the processor time it used: the measure of its work that a
    /// loaded machine does not stretch.
    /// </summary>
    public static (RunResult Result, TimeSpan Work) RunMeasuringWork(ProcessStartInfo psi)
    {
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        using var process = Process.Start(psi)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var work = TimeSpan.Zero;
        // Sampled while it runs: an exited process has no processor time left to read.
        HangGuard.Until(() => { work = ProcessorTime(process) ?? work; return process.HasExited; }, $"{psi.ArgumentList[1]} running to its end");
        process.WaitForExit();
        return (new RunResult(process.ExitCode, stdout.Result, stderr.Result), work);
    }

    /// <summary>
    /// Runs a tool started by <see cref="ToolWithDefaultSignals"/>, sends it SIG<paramref name="signal"/> once it
    /// has done <paramref name="work"/> of processor time (it must still be working then), and returns what it
    /// said. Its own processor time, not the clock, says how far it got: on a loaded machine the clock runs on
    /// while it waits for a core. The exit status says whether it stopped or finished.
    /// </summary>
    public static async Task<RunResult> InterruptedPartWay(ProcessStartInfo psi, TimeSpan work, string signal)
    {
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        using var process = Process.Start(psi)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        HangGuard.Until(() => process.HasExited || ProcessorTime(process) >= work, $"{psi.ArgumentList[1]} doing {work.TotalSeconds:0.00} s of work");
        Assert.False(process.HasExited, $"{psi.ArgumentList[^1]} ended before the signal: " + (process.HasExited ? await stderr : ""));
        Assert.Equal(0, Run("/", "kill", [$"-{signal}", process.Id.ToString()]).ExitCode);
        HangGuard.Exit(process, $"its exit after SIG{signal}");
        return new RunResult(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>The processor time a running process has used; null once it has exited.</summary>
    private static TimeSpan? ProcessorTime(Process process)
    {
        try
        {
            process.Refresh();
            return process.TotalProcessorTime;
        }
        catch (InvalidOperationException) { return null; }
    }

    public static RunResult Run(string workDir, string file, IEnumerable<string> args,
        IDictionary<string, string?>? env = null, string? stdin = null, int timeoutMs = 600_000)
    {
        var psi = new ProcessStartInfo(file)
        {
            WorkingDirectory = workDir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin != null,
            UseShellExecute = false,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        // Our executables first on PATH so "git ksplice" reaches the build under test.
        psi.Environment["PATH"] = ToolDirectory + Path.PathSeparator + Environment.GetEnvironmentVariable("PATH");
        psi.Environment["GIT_CONFIG_NOSYSTEM"] = "1";
        psi.Environment["NO_COLOR"] = "1";
        psi.Environment.Remove("GIT_DIR");
        psi.Environment.Remove("GIT_WORK_TREE");
        if (env != null)
            foreach (var (k, v) in env)
                if (v == null) psi.Environment.Remove(k); else psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var stdoutTask = p.StandardOutput.ReadToEndAsync();
        var stderrTask = p.StandardError.ReadToEndAsync();
        if (stdin != null) { p.StandardInput.Write(stdin); p.StandardInput.Close(); }
        if (!p.WaitForExit(timeoutMs))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"hang: {file} {string.Join(' ', args)} did not finish in {timeoutMs / 1000} s");
        }
        return new RunResult(p.ExitCode, stdoutTask.Result, stderrTask.Result);
    }
}
