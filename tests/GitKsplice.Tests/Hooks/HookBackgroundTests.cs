using System.Diagnostics;
using System.Text.Json;
using GitKsplice.Tests.Support;
using static GitKsplice.Tests.Hooks.HookTestSupport;

namespace GitKsplice.Tests.Hooks;

/// <summary>The default mode: the job runs detached from the commit, one at a time, and survives being killed.</summary>
[Trait(TestCategory.Name, TestCategory.BackgroundHook)]
public class HookBackgroundTests
{
    [Fact]
    public void A_commit_returns_before_the_job_and_the_verdict_arrives_later()
    {
        using var repo = CTree.Create();
        InstallHooks(repo, "background");
        // A build that waits for the test's word: a commit that waited for the job would never return.
        var go = HeldBuild(repo);

        var commit = SafeChange(repo);

        using var running = WaitFor(repo, s => RunningCommit(s) == commit, "the job to run");
        var job = running.RootElement.GetProperty("running");
        Assert.Equal("post-commit", job.GetProperty("trigger").GetString());
        Assert.Equal("fix greeting", job.GetProperty("subject").GetString());
        Assert.True(job.GetProperty("elapsedSeconds").GetDouble() >= 0);
        Assert.Equal(repo.Path($".git/ksplice/hook/{commit}/log"), job.GetProperty("log").GetString());
        Assert.Contains("running:   " + commit[..12], repo.Ksplice("status").StdOut);
        Assert.Null(VerdictOf(running, commit));

        File.WriteAllText(go, "");
        using var done = WaitFor(repo, s => VerdictOf(s, commit) != null, "the verdict");
        Assert.Equal("hot-patchable", VerdictOf(done, commit));
        Assert.StartsWith("ksplice-verdict: hot-patchable", NoteOf(repo, commit));
        Assert.Contains("hot-patchable", File.ReadAllText(repo.Path($".git/ksplice/hook/{commit}/log")));
    }

    [Fact]
    public void Run_by_hand_in_background_mode_the_hook_returns_at_once_and_the_job_still_runs()
    {
        using var repo = CTree.Create();
        InstallHooks(repo, "off");
        var commit = SafeChange(repo);
        repo.Git("config", "ksplice.hook.mode", "background");
        var go = HeldBuild(repo);

        var r = repo.Ksplice("hook", "post-commit");

        Assert.True(r.ExitCode == 0, r.All);
        using (var running = WaitFor(repo, s => RunningCommit(s) == commit, "the job to run"))
            Assert.Null(VerdictOf(running, commit));
        File.WriteAllText(go, "");
        using var done = WaitFor(repo, s => Idle(s) && VerdictOf(s, commit) != null, "the verdict");
        Assert.Equal("hot-patchable", VerdictOf(done, commit));
    }

    [Fact]
    public void A_newer_commit_supersedes_a_queued_older_one_while_a_job_runs()
    {
        using var repo = CTree.Create();
        InstallHooks(repo, "background");
        repo.Git("config", "ksplice.buildCommand", "sleep 2 && make");
        var first = SafeChange(repo, "first");
        WaitFor(repo, s => RunningCommit(s) == first, "the first job to run").Dispose();

        repo.Write("data.c", CTree.Data.Replace("return ++counter;", "return counter += 2;") + "\n");
        var second = repo.Commit("second");
        repo.Write("mod.c", CTree.Mod.Replace("x * 3", "x * 4") + "\n");
        var third = repo.Commit("third");

        using var idle = WaitFor(repo, s => Idle(s) && VerdictOf(s, third) != null, "the queue to drain");
        Assert.Equal("hot-patchable", VerdictOf(idle, first));
        Assert.Null(VerdictOf(idle, second));
        Assert.Equal("hot-patchable", VerdictOf(idle, third));
        Assert.Equal("", NoteOf(repo, second));
        Assert.Contains("changed: data.o: bump", NoteOf(repo, third));
    }

    [Fact]
    public void A_job_killed_mid_build_leaves_no_lock_and_the_next_commit_is_checked()
    {
        using var repo = CTree.Create();
        InstallHooks(repo, "background");
        repo.Git("config", "ksplice.buildCommand", "sleep 60 && make");
        var doomed = SafeChange(repo, "doomed");
        using var running = WaitFor(repo, s => RunningCommit(s) == doomed
            && s.GetProperty("running").GetProperty("stage").GetString()!.StartsWith("building"), "the job to build");
        var pid = running.RootElement.GetProperty("running").GetProperty("pid").GetInt32();

        using (var job = Process.GetProcessById(pid)) job.Kill(); // SIGKILL: no chance to clean up

        using var dead = WaitFor(repo, s => s.GetProperty("running").ValueKind == JsonValueKind.Null, "the job to be gone");
        var last = dead.RootElement.GetProperty("lastJob");
        Assert.Equal("killed", last.GetProperty("outcome").GetString());
        Assert.Equal(doomed, last.GetProperty("commit").GetString());
        Assert.Contains("killed", repo.Ksplice("status").StdOut);

        repo.Git("config", "ksplice.buildCommand", "make");
        repo.Write("data.c", CTree.Data.Replace("return ++counter;", "return counter += 2;") + "\n");
        var next = repo.Commit("after the kill");

        using var done = WaitFor(repo, s => Idle(s) && VerdictOf(s, next) != null, "the next verdict");
        Assert.Equal("hot-patchable", VerdictOf(done, next));
        Assert.Contains("changed: data.o: bump", NoteOf(repo, next));
        Assert.Equal("", NoteOf(repo, doomed));
        // The killed job's build (sleep 60 in the pre tree) was stopped before the next build used the tree.
        Assert.Contains("build process(es) still running", File.ReadAllText(repo.Path($".git/ksplice/hook/{doomed}/log")));
    }

    [Fact]
    public void A_terminated_job_stops_its_build_and_says_it_was_interrupted()
    {
        using var repo = CTree.Create();
        InstallHooks(repo, "background");
        repo.Git("config", "ksplice.buildCommand", "sleep 47 && make");
        var commit = SafeChange(repo);
        using var running = WaitFor(repo, s => RunningCommit(s) == commit
            && s.GetProperty("running").GetProperty("stage").GetString()!.StartsWith("building"), "the job to build");
        var pid = running.RootElement.GetProperty("running").GetProperty("pid").GetInt32();

        Assert.Equal(0, ProcessRunner.Run(repo.Root, "kill", ["-TERM", pid.ToString()]).ExitCode);

        using var stopped = WaitFor(repo, s => s.GetProperty("running").ValueKind == JsonValueKind.Null, "the job to stop");
        Assert.Equal("interrupted", stopped.RootElement.GetProperty("lastJob").GetProperty("outcome").GetString());
        Assert.Empty(BuildsRunningIn(repo.Path(".git/ksplice")));
    }

    /// <summary>Processes whose working directory is under <paramref name="dir"/>.</summary>
    private static IEnumerable<int> BuildsRunningIn(string dir) =>
        Directory.EnumerateDirectories("/proc")
            .Select(d => int.TryParse(Path.GetFileName(d), out var pid) ? pid : 0)
            .Where(pid => pid > 0)
            .Where(pid =>
            {
                try { return new DirectoryInfo($"/proc/{pid}/cwd").LinkTarget?.StartsWith(dir + "/") == true; }
                catch (IOException) { return false; }
                catch (UnauthorizedAccessException) { return false; }
            })
            .ToList();
}
