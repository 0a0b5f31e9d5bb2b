using System.Diagnostics;
using GitKsplice.Tests.Support;

namespace GitKsplice.Tests.Updates;

[Trait(TestCategory.Name, TestCategory.EndToEnd)]
public class InterruptTests
{
    [Fact]
    public async Task An_interrupted_create_stops_its_build_and_records_nothing()
    {
        using var repo = CTree.Create();
        repo.Write("greet.c", CTree.Greet.Replace("return printf(\"HELLO", "return 3 * printf(\"HELLO") + "\n");
        var commit = repo.Commit("change");
        // A sleep no other test runs, so the check below sees only this build's processes.
        // Longer than the hang guard: a create that waited for its build fails as a hang.
        var sleep = $"sleep 3600.{Random.Shared.Next(100_000, 999_999)}";
        repo.Git("config", "ksplice.buildCommand", $"make && touch build-started && {sleep}");

        var psi = ProcessRunner.ToolWithDefaultSignals("git-ksplice", ["create", "--id", "intr01", commit]);
        psi.WorkingDirectory = repo.Root;
        psi.RedirectStandardError = true;
        psi.RedirectStandardOutput = true;
        using var process = Process.Start(psi)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var started = repo.Path(".git/ksplice/build/tree/build-started");
        HangGuard.Until(() => File.Exists(started) || process.HasExited, "the build's start");
        Assert.True(File.Exists(started), "the build never started: " + (process.HasExited ? await stderr : ""));

        ProcessRunner.Run(repo.Root, "kill", ["-INT", process.Id.ToString()]);

        HangGuard.Exit(process, "git ksplice's stop after SIGINT");
        Assert.NotEqual(0, process.ExitCode);
        Assert.Contains("interrupted", await stderr);
        Assert.False(File.Exists(repo.Path("ksplice-intr01.tar.gz")));
        Assert.NotEqual(0, repo.TryGit("rev-parse", "--verify", "-q", "refs/ksplice/updates/intr01").ExitCode);
        Assert.NotEqual(0, repo.TryGit("rev-parse", "--verify", "-q", "refs/notes/ksplice").ExitCode);
        var sleeping = ProcessRunner.Run(repo.Root, "pgrep", ["-f", sleep]);
        Assert.True(sleeping.StdOut.Trim().Length == 0, "the build's processes outlived the interrupt: " + sleeping.StdOut);
    }

    [Fact]
    public void A_git_killed_while_it_wrote_the_build_tree_does_not_stop_the_next_create()
    {
        using var repo = CTree.Create();
        var prebuild = repo.Ksplice("create", "--prebuild");
        Assert.True(prebuild.ExitCode == 0, prebuild.All);
        // What a SIGKILL to `git read-tree -u` leaves: its lock on the build tree's index.
        File.WriteAllText(repo.Path(".git/ksplice/build/tree.index.lock"), "");
        repo.Write("greet.c", CTree.Greet.Replace("return printf(\"HELLO", "return 3 * printf(\"HELLO") + "\n");
        var commit = repo.Commit("change");

        var create = repo.Ksplice("create", "--id", "afterkill", commit);

        Assert.True(create.ExitCode == 0, create.All);
        Assert.True(File.Exists(repo.Path("ksplice-afterkill.tar.gz")));
        Assert.False(File.Exists(repo.Path(".git/ksplice/build/tree.index.lock")));
    }
}
