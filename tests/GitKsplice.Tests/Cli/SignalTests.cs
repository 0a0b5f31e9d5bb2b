using System.Diagnostics;
using System.Text;
using GitKsplice.Reporting;
using GitKsplice.Tests.Support;

namespace GitKsplice.Tests.Cli;

/// <summary>
/// Every command stops on SIGTERM and SIGINT, even with its thread blocked in a read that cannot see the
/// cancellation (as a thread opening a FIFO is): the process exits with the interrupted code all the same.
/// </summary>
public class SignalTests
{
    [Theory]
    [InlineData("TERM")]
    [InlineData("INT")]
    public async Task A_command_blocked_reading_its_input_exits_on_a_signal(string signal)
    {
        using var repo = new TestRepo();
        repo.Write("a.c", "int a;\n");
        repo.Commit("first");
        using var cross = new TempDir();
        Directory.CreateDirectory(cross["mach"]);

        // git kstuff's interactive menu reads the choice from standard input, a pipe no one writes to.
        var psi = ProcessRunner.ToolWithDefaultSignals("git-kstuff", []);
        psi.WorkingDirectory = repo.Root;
        psi.Environment["ROOT"] = cross.Path;
        psi.Environment["MACH"] = "mach";
        psi.RedirectStandardInput = true;
        psi.RedirectStandardError = true;
        psi.RedirectStandardOutput = true;
        using var process = Process.Start(psi)!;
        using var prompted = new ManualResetEventSlim();
        var prompt = Task.Run(() =>
        {
            // The prompt has no newline: read it character by character.
            var seen = new StringBuilder();
            int c;
            while ((c = process.StandardError.Read()) >= 0)
            {
                seen.Append((char)c);
                if (seen.ToString().EndsWith("Select a kernel [1]: ", StringComparison.Ordinal)) prompted.Set();
            }
            return seen.ToString();
        });
        try
        {
            if (!prompted.Wait(HangGuard.Bound)) throw HangGuard.Hang("git kstuff asking for a kernel");

            Assert.Equal(0, ProcessRunner.Run(repo.Root, "kill", [$"-{signal}", process.Id.ToString()]).ExitCode);
            // Without the runner's watch the process never exits: that fails as a hang.
            HangGuard.Exit(process, $"git kstuff's exit after SIG{signal}");
            Assert.Equal(ExitCodes.Interrupted, process.ExitCode);
            Assert.EndsWith("fatal: interrupted\n", await prompt);
        }
        finally
        {
            if (!process.HasExited) process.Kill();
        }
    }
}
