using System.Diagnostics;
using GitKsplice.Processes;
using GitKsplice.Tests.Support;

namespace GitKsplice.Tests.Processes;

/// <summary>A cancelled program is stopped with everything it started: SIGTERM first, so it can clean up, then SIGKILL.</summary>
public class ProcessTreeTests
{
    /// <summary>
    /// Far below the programs' 100 s sleep and far above the 300 ms grace: it catches a program left running
    /// without failing on a loaded machine (the stop takes 0.3 s idle; the second-within-SIGTERM figures are
    /// measured on the commands themselves).
    /// </summary>
    private static readonly TimeSpan Hang = TimeSpan.FromSeconds(10);

    private static (TimeSpan Stopped, string Marker) RunCancelled(TempDir dir, string script)
    {
        // A sleep no other test runs, so the check afterwards sees only this program's processes.
        var marker = $"{Random.Shared.Next(100_000, 999_999)}";
        using var cancel = new CancellationTokenSource();
        var started = Path.Combine(dir.Path, "started");
        var run = Task.Run(() => CommandRunner.Run(dir.Path, "sh", ["-c", script.Replace("SLEEP", $"sleep 100.{marker}")], cancel: cancel.Token));
        var deadline = Stopwatch.StartNew();
        while (!File.Exists(started) && deadline.Elapsed.TotalSeconds < 30) Thread.Sleep(20);
        Assert.True(File.Exists(started), "the program never started");
        var clock = Stopwatch.StartNew();
        cancel.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => run.GetAwaiter().GetResult());
        return (clock.Elapsed, marker);
    }

    private static void AssertGone(string marker)
    {
        var left = ProcessRunner.Run("/", "pgrep", ["-f", $"sleep 100.{marker}"]);
        Assert.True(left.StdOut.Trim().Length == 0, "the program's children outlived it: " + left.StdOut);
    }

    [RequiresFact(Tool.Pgrep)]
    public void A_cancelled_program_gets_SIGTERM_and_cleans_up_and_its_children_stop_too()
    {
        using var dir = new TempDir();
        // Like make: on SIGTERM it deletes what it was writing. Its child is a separate process that would
        // outlive a parent killed alone.
        var (stopped, marker) = RunCancelled(dir, "echo partial > target.o; trap 'rm -f target.o; exit 143' TERM; SLEEP & touch started; wait");
        Assert.False(File.Exists(dir["target.o"]), "the program was not given SIGTERM to clean up");
        Assert.True(stopped < Hang, $"stopped after {stopped.TotalSeconds:0.00} s");
        AssertGone(marker);
    }

    [RequiresFact(Tool.Pgrep)]
    public void A_program_that_ignores_SIGTERM_is_killed_too()
    {
        using var dir = new TempDir();
        var (stopped, marker) = RunCancelled(dir, "trap '' TERM; SLEEP & touch started; wait; wait");
        Assert.True(stopped < Hang, $"stopped after {stopped.TotalSeconds:0.00} s");
        AssertGone(marker);
    }
}
