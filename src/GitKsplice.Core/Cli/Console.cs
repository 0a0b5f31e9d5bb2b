namespace GitKsplice.Cli;

/// <summary>Output conventions of git: "error:"/"fatal:"/"warning:" prefixes on stderr, -q silences chatter.</summary>
public sealed class ToolOutput(TextWriter stdout, TextWriter stderr)
{
    public static ToolOutput Standard { get; } = new(System.Console.Out, System.Console.Error);

    public TextWriter Out { get; } = stdout;
    public TextWriter Err { get; } = stderr;
    public bool Quiet { get; set; }
    public int Verbosity { get; set; }

    public void Info(string message) { if (!Quiet) Err.WriteLine(message); }

    /// <summary>Whether a live status line may be drawn: standard error is a terminal and -q was not given.</summary>
    public bool LiveProgress => !Quiet && ReferenceEquals(Err, System.Console.Error) && !System.Console.IsErrorRedirected;

    private long _statusShownAt;

    /// <summary>
    /// Progress of a long step on a terminal: one line rewritten in place (at most ten times a second), cleared by
    /// <see cref="EndStatus"/>. Nothing at all when standard error is not a terminal, so logs stay clean.
    /// </summary>
    public void Status(string line)
    {
        if (!LiveProgress) return;
        var now = Environment.TickCount64;
        if (now - _statusShownAt < 100) return;
        _statusShownAt = now;
        var width = Math.Max(20, SafeWidth() - 1);
        Err.Write("\r" + (line.Length > width ? line[..width] : line) + "\x1b[K");
    }

    public void EndStatus()
    {
        if (LiveProgress && _statusShownAt != 0) Err.Write("\r\x1b[K");
        _statusShownAt = 0;
    }

    private static int SafeWidth()
    {
        try { return System.Console.WindowWidth is > 0 and var w ? w : 80; }
        catch (IOException) { return 80; }
    }
    public void Verbose(string message, int level = 1) { if (!Quiet && Verbosity >= level) Err.WriteLine(message); }
    public void Warning(string message) => Err.WriteLine("warning: " + message);
    public void Error(string message) => Err.WriteLine("error: " + message);
    public void Fatal(string message) => Err.WriteLine("fatal: " + message);

    /// <summary>Runs a command body, turning our errors into one fatal line and an exit code.</summary>
    public int Run(Func<int> body)
    {
        try { return body(); }
        catch (UserError e) { Fatal(e.Message); return e.ExitCode; }
        catch (LibGit2Sharp.RepositoryNotFoundException) { Fatal("not a git repository (or any of the parent directories)"); return ExitCodes.Error; }
        catch (OperationCanceledException) { Fatal("interrupted"); return ExitCodes.Interrupted; }
        catch (IOException e) { Fatal(e.Message); return ExitCodes.Error; }
        catch (UnauthorizedAccessException e) { Fatal(e.Message); return ExitCodes.Error; }
        catch (LibGit2Sharp.LibGit2SharpException e) { Fatal(e.Message); return ExitCodes.Error; }
        catch (Exception e)
        {
            // A bug of ours: still one line for the user, the stack trace only on request.
            Fatal($"unexpected error: {e.GetType().Name}: {e.Message}");
            if (Environment.GetEnvironmentVariable("GIT_KSPLICE_TRACE") is { Length: > 0 }) Err.WriteLine(e);
            return ExitCodes.Error;
        }
    }
}
