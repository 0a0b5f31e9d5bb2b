using GitKsplice.Processes;
using GitKsplice.Tests.Support;

namespace GitKsplice.Tests.Processes;

/// <summary>A cancelled program is stopped with everything it started: SIGTERM first, so it can clean up, then SIGKILL.</summary>
public class ProcessTreeTests
{
    /// <summary>
    /// Runs <paramref name="script"/> (SLEEP in it a sleep far longer than <see cref="HangGuard.Bound"/>), cancels it
    /// once it has written "started", and returns the sleep's marker. A program left running fails as a hang: its
    /// stop is told from a wait by the sleep's length, not by a clock a loaded machine can overrun.
    /// </summary>
    private static string RunCancelled(TempDir dir, string script)
    {
        // A sleep no other test runs, so the check afterwards sees only this program's processes.
        var marker = $"{Random.Shared.Next(100_000, 999_999)}";
        using var cancel = new CancellationTokenSource();
        var started = Path.Combine(dir.Path, "started");
        var run = Task.Run(() => CommandRunner.Run(dir.Path, "sh", ["-c", script.Replace("SLEEP", $"sleep 3600.{marker}")], cancel: cancel.Token));
        HangGuard.Until(() => File.Exists(started) || run.IsCompleted, "the program's start");
        Assert.True(File.Exists(started), "the program never started");
        cancel.Cancel();
        HangGuard.Ended(run, "the cancelled program's stop");
        Assert.ThrowsAny<OperationCanceledException>(() => run.GetAwaiter().GetResult());
        return marker;
    }

    private static void AssertGone(string marker)
    {
        var left = ProcessRunner.Run("/", "pgrep", ["-f", $"sleep 3600.{marker}"]);
        Assert.True(left.StdOut.Trim().Length == 0, "the program's children outlived it: " + left.StdOut);
    }

    [RequiresFact(Tool.Pgrep)]
    public void A_cancelled_program_gets_SIGTERM_and_cleans_up_and_its_children_stop_too()
    {
        using var dir = new TempDir();
        // Like make: on SIGTERM it deletes what it was writing. Its child is a separate process that would
        // outlive a parent killed alone.
        var marker = RunCancelled(dir, "echo partial > target.o; trap 'rm -f target.o; exit 143' TERM; SLEEP & touch started; wait");
        Assert.False(File.Exists(dir["target.o"]), "the program was not given SIGTERM to clean up");
        AssertGone(marker);
    }

    [RequiresFact(Tool.Pgrep)]
    public void A_program_that_ignores_SIGTERM_is_killed_too()
    {
        using var dir = new TempDir();
        var marker = RunCancelled(dir, "trap '' TERM; SLEEP & touch started; wait; wait");
        AssertGone(marker);
    }
}
