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

    /// <summary>A named key (C-c, Enter), then waits for the shell to draw a fresh <paramref name="prompt"/> on the last line.</summary>
    public void Key(string key, string prompt)
    {
        Tmux("send-keys", "-t", _session, key);
        Wait(screen => screen.Split('\n').Select(l => l.TrimEnd()).LastOrDefault(l => l.Length > 0) == prompt.TrimEnd(), $"a fresh prompt '{prompt}' after {key}");
    }

    public string Screen() => Tmux("capture-pane", "-p", "-t", _session).StdOut;

    /// <summary>Waits until the screen shows the text (completion runs the tools, so allow them time).</summary>
    public void WaitFor(string text) => Wait(screen => screen.Contains(text), $"'{text}'");

    private void Wait(Func<string, bool> shows, string what)
    {
        try { HangGuard.Until(() => shows(Screen()), $"the terminal showing {what}"); }
        catch (TimeoutException e) { Assert.Fail($"{e.Message}; it shows:\n{Screen()}"); }
    }

    private RunResult Tmux(params string[] args) => ProcessRunner.Run(_workDir, "tmux", args);

    public void Dispose() => Tmux("kill-session", "-t", _session);
}
