using System.Diagnostics;

namespace GitKsplice.Tests.Support;

/// <summary>
/// Waiting for a fact, not for a time. The only bound is a hang guard, minutes long: a slow or loaded machine
/// makes a test slower, never failed, and a test that reaches the bound reports a hang, not a speed. A test
/// that tells a stop from a wait makes what would be waited for (a sleep, a timeout) longer than the guard.
/// </summary>
public static class HangGuard
{
    public static readonly TimeSpan Bound = TimeSpan.FromMinutes(10);

    /// <summary>How often a condition is looked at again: the fact decides when the wait ends, not this.</summary>
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(20);

    /// <summary>Returns once <paramref name="condition"/> holds; fails, naming <paramref name="what"/>, after the guard.</summary>
    public static void Until(Func<bool> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > Bound) throw Hang(what);
            Thread.Sleep(Poll);
        }
    }

    /// <summary>Returns once <paramref name="process"/> has exited; fails, naming <paramref name="what"/>, after the guard.</summary>
    public static void Exit(Process process, string what)
    {
        if (!process.WaitForExit(Bound)) throw Hang(what);
    }

    /// <summary>Returns once <paramref name="task"/> has ended, however it ended; fails after the guard.</summary>
    public static void Ended(Task task, string what)
    {
        if (!((IAsyncResult)task).AsyncWaitHandle.WaitOne(Bound)) throw Hang(what);
    }

    public static TimeoutException Hang(string what) => new($"hang: {what} after {Bound.TotalMinutes:0} minutes");
}
