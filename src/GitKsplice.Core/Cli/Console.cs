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
