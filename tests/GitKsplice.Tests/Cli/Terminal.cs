using GitKsplice.Tests.Support;

namespace GitKsplice.Tests.Cli;

/// <summary>An interactive shell in a tmux terminal: keystrokes in, the screen read back.</summary>
public sealed class Terminal : IDisposable
{
    private readonly string _session = "gks-" + Guid.NewGuid().ToString("N")[..12];
    private readonly string _workDir;

    public Terminal(InstalledTools tools, string workDir, params string[] shell)
    {
        _workDir = workDir;
        var env = tools.UserEnvironment();
        var exports = string.Join(' ', env.Where(kv => kv.Value != null).Select(kv => $"{kv.Key}='{kv.Value!.Replace("'", "'\\''")}'"));
        var unset = string.Join(' ', env.Where(kv => kv.Value == null).Select(kv => "-u " + kv.Key));
        var command = $"env {unset} {exports} {string.Join(' ', shell)}";
        var r = Tmux("new-session", "-d", "-s", _session, "-x", "160", "-y", "40", "-c", workDir, command);
        if (r.ExitCode != 0) throw new InvalidOperationException("tmux: " + r.All);
    }

    public void Type(string keys) => Tmux("send-keys", "-t", _session, "-l", "--", keys);

    /// <summary>A named key (C-c, Enter), then a moment for the shell to draw its new prompt.</summary>
    public void Key(string key)
    {
        Tmux("send-keys", "-t", _session, key);
        Thread.Sleep(1000);
    }

    public string Screen() => Tmux("capture-pane", "-p", "-t", _session).StdOut;

    /// <summary>Waits until the screen shows the text (completion runs the tools, so allow them time).</summary>
    public void WaitFor(string text, int timeoutMs = 30_000)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (clock.ElapsedMilliseconds < timeoutMs)
        {
            if (Screen().Contains(text)) return;
            Thread.Sleep(200);
        }
        Assert.Fail($"the terminal never showed '{text}'; it shows:\n{Screen()}");
    }

    private RunResult Tmux(params string[] args) => ProcessRunner.Run(_workDir, "tmux", args);

    public void Dispose() => Tmux("kill-session", "-t", _session);
}
