using GitKsplice.Reporting;

namespace GitKsplice.Kstuff.Delivery;

/// <summary>
/// Progress of a long step on stderr: a line rewritten in place on a terminal, a start and an end line
/// otherwise (so logs stay readable). Silent in quiet mode.
/// </summary>
public sealed class Progress(ToolOutput output, string title, long total)
{
    private readonly bool _live = output.LiveProgress;
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();
    private long _lastShown = -1;

    public void Report(long done)
    {
        if (!_live) return;
        var percent = total > 0 ? done * 100 / total : 100;
        if (percent == _lastShown) return;
        _lastShown = percent;
        output.Err.Write($"\r{title}: {percent}% ({Size(done)} of {Size(total)})");
    }

    public void Done(string? note = null)
    {
        if (output.Quiet) return;
        var line = $"{title}: {Size(total)} in {_clock.Elapsed.TotalSeconds:0.0}s{(note == null ? "" : ", " + note)}";
        output.Err.WriteLine(_live ? "\r" + line + "   " : line);
    }

    public static string Size(long bytes) =>
        bytes >= 1 << 20 ? $"{bytes / 1048576.0:0.0} MiB" : bytes >= 1 << 10 ? $"{bytes / 1024.0:0.0} KiB" : $"{bytes} bytes";
}
