using System.Diagnostics;
using GitKsplice.Tests.Support;

namespace GitKsplice.Tests.Updates;

public class InterruptTests
{
    [Fact]
    public void An_interrupted_create_stops_its_build_and_records_nothing()
    {
        using var repo = CTree.Create();
        repo.Write("greet.c", CTree.Greet.Replace("return printf(\"HELLO", "return 3 * printf(\"HELLO") + "\n");
        var commit = repo.Commit("change");
        repo.Git("config", "ksplice.buildCommand", "make && touch build-started && sleep 120");

        var psi = new ProcessStartInfo(Path.Combine(ProcessRunner.ToolDirectory, "git-ksplice"))
        {
            WorkingDirectory = repo.Root,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        foreach (var a in new[] { "create", "--id", "intr01", commit }) psi.ArgumentList.Add(a);
        using var process = Process.Start(psi)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var started = repo.Path(".git/ksplice/build/tree/build-started");
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (!File.Exists(started) && DateTime.UtcNow < deadline && !process.HasExited) Thread.Sleep(100);
        Assert.True(File.Exists(started), "the build never started: " + (process.HasExited ? stderr.Result : ""));

        ProcessRunner.Run(repo.Root, "kill", ["-INT", process.Id.ToString()]);

        Assert.True(process.WaitForExit(15_000), "git ksplice did not stop after SIGINT");
        Assert.NotEqual(0, process.ExitCode);
        Assert.Contains("interrupted", stderr.Result);
        Assert.False(File.Exists(repo.Path("ksplice-intr01.tar.gz")));
        Assert.NotEqual(0, repo.TryGit("rev-parse", "--verify", "-q", "refs/ksplice/updates/intr01").ExitCode);
        Assert.NotEqual(0, repo.TryGit("rev-parse", "--verify", "-q", "refs/notes/ksplice").ExitCode);
        var sleeping = ProcessRunner.Run(repo.Root, "pgrep", ["-f", "sleep 120"]);
        Assert.True(sleeping.StdOut.Trim().Length == 0, "the build's processes outlived the interrupt: " + sleeping.StdOut);
    }
}
