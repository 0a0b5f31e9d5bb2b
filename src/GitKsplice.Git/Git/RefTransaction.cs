using System.Diagnostics;
using GitKsplice.Reporting;

namespace GitKsplice.Git;

/// <summary>
/// One `git update-ref --stdin` transaction, its process started before its commands are known: a caller
/// that knows it will move refs after a long step (a build) starts it first, so git's start-up is off the
/// critical path. Refs are locked and checked by <see cref="TryPrepare"/> and move only on
/// <see cref="Commit"/>; disposing an uncommitted transaction aborts it, and git releases the locks.
/// </summary>
public sealed class RefTransaction : IDisposable
{
    private readonly Process _git;
    private readonly Task<string> _stderr;
    private readonly long _started = Stopwatch.GetTimestamp();
    private bool _prepared;
    private bool _done;

    private RefTransaction(Process git)
    {
        _git = git;
        _stderr = git.StandardError.ReadToEndAsync();
    }

    /// <summary>Starts git; <paramref name="message"/> goes into the reflog of every ref the transaction moves.</summary>
    public static RefTransaction Start(GitCli git, string message) =>
        new(git.Spawn(["update-ref", "-m", message, "--stdin"]));

    /// <summary>
    /// Queues the commands ("update REF NEW OLD", "create REF NEW", …) and locks their refs, checking each
    /// old value. False, with git's message, when git refuses (a ref moved meanwhile, a ref taken); the
    /// transaction is then over.
    /// </summary>
    public bool TryPrepare(IEnumerable<string> commands, out string error)
    {
        if (_prepared || _done) throw new InvalidOperationException("the transaction was already prepared");
        _prepared = true;
        error = "";
        try
        {
            var input = _git.StandardInput;
            input.Write("start\n");
            foreach (var command in commands) input.Write(command + "\n");
            input.Write("prepare\n");
            input.Flush();
            // git answers "start: ok" and "prepare: ok"; on a refused command it exits with a message instead.
            if (_git.StandardOutput.ReadLine() == "start: ok" && _git.StandardOutput.ReadLine() == "prepare: ok")
                return true;
        }
        catch (IOException) { } // git exited before reading everything: its message says why
        Finish();
        error = GitCli.FirstLine(_stderr.GetAwaiter().GetResult()) ?? $"git update-ref exited with {_git.ExitCode}";
        return false;
    }

    /// <summary>Moves the prepared refs.</summary>
    public void Commit()
    {
        if (!_prepared || _done) throw new InvalidOperationException("commit needs a prepared transaction");
        string? reply = null;
        try
        {
            _git.StandardInput.Write("commit\n");
            _git.StandardInput.Flush();
            reply = _git.StandardOutput.ReadLine();
        }
        catch (IOException) { }
        Finish();
        if (reply != "commit: ok" || _git.ExitCode != 0)
            throw GitCli.Failure(_stderr.GetAwaiter().GetResult(), $"git update-ref exited with {_git.ExitCode}");
    }

    /// <summary>Ends git's input (an open transaction is aborted) and waits for it to exit.</summary>
    private void Finish()
    {
        if (_done) return;
        _done = true;
        try { _git.StandardInput.Close(); } catch (IOException) { }
        _git.WaitForExit();
        PerformanceTrace.Ran("git", ["update-ref", "--stdin"], Stopwatch.GetElapsedTime(_started));
    }

    public void Dispose()
    {
        Finish();
        _git.Dispose();
    }
}
