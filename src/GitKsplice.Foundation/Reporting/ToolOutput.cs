namespace GitKsplice.Reporting;

/// <summary>
/// Where a command's messages go, with git's conventions: results on <see cref="Out"/>, everything else on
/// <see cref="Err"/> with "error:"/"fatal:"/"warning:" prefixes; -q silences chatter, -v adds detail.
/// One per command run, made by the command-line layer (or by the hook job for its log).
/// </summary>
public sealed class ToolOutput(TextWriter stdout, TextWriter stderr)
{
    public TextWriter Out { get; } = stdout;
    public TextWriter Err { get; } = stderr;
    public bool Quiet { get; set; }
    public int Verbosity { get; set; }

    /// <summary>Standard error is a terminal: a live status line may be drawn there.</summary>
    public bool ErrIsTerminal { get; init; }

    /// <summary>The terminal's width in columns.</summary>
    public int Columns { get; init; } = 80;

    public void Info(string message) { if (!Quiet) Line(message); }

    /// <summary>Whether a live status line may be drawn: standard error is a terminal and -q was not given.</summary>
    public bool LiveProgress => !Quiet && ErrIsTerminal;

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
        var width = Math.Max(20, Columns - 1);
        Out.Flush();
        Err.Write("\r" + (line.Length > width ? line[..width] : line) + "\x1b[K");
    }

    public void EndStatus()
    {
        if (LiveProgress && _statusShownAt != 0) Err.Write("\r\x1b[K");
        _statusShownAt = 0;
    }

    public void Verbose(string message, int level = 1) { if (!Quiet && Verbosity >= level) Line(message); }
    public void Warning(string message) => Line("warning: " + message);
    public void Error(string message) => Line("error: " + message);
    public void Fatal(string message) => Line("fatal: " + message);

    /// <summary>A line on standard error, after what standard output holds (it may be block-buffered), so the order stays.</summary>
    private void Line(string message)
    {
        Out.Flush();
        Err.WriteLine(message);
    }
}
