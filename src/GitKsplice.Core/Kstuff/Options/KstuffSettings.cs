using System.Diagnostics;
using GitKsplice.Cli;
using GitKsplice.Kstuff.Targets;

namespace GitKsplice.Kstuff.Options;

/// <summary>
/// The kstuff.* keys of git config, read once through git itself (so includes, conditional includes
/// and GIT_CONFIG_* apply): kstuff.options, kstuff.sshCommand, kstuff.idbuild and the rest.
/// </summary>
public sealed class KstuffSettings
{
    private readonly Dictionary<string, List<string>> _values;

    private KstuffSettings(Dictionary<string, List<string>> values) => _values = values;

    /// <summary>Every value of a key, in git's order (system, global, local, worktree, command).</summary>
    public IReadOnlyList<string> All(string key) => _values.TryGetValue(key.ToLowerInvariant(), out var v) ? v : [];

    /// <summary>The last value of a key, as git config --get gives it.</summary>
    public string? Get(string key) => All(key) is { Count: > 0 } v ? v[^1] : null;

    /// <summary>The ssh command for remote targets: kstuff.sshCommand, else plain "ssh".</summary>
    public IReadOnlyList<string> SshCommand()
    {
        var text = Get("kstuff.sshCommand");
        if (text == null) return SshTarget.DefaultCommand;
        try
        {
            var words = PosixShell.SplitWords(text);
            return words.Count > 0 ? words : throw new UserError("git config kstuff.sshCommand is empty");
        }
        catch (FormatException e) { throw new UserError($"git config kstuff.sshCommand: {e.Message}"); }
    }

    /// <summary>The option words of kstuff.options (each value one line of options).</summary>
    public List<OptionLine> OptionWords()
    {
        var words = new List<OptionLine>();
        foreach (var value in All("kstuff.options"))
            words.AddRange(RcFiles.Words([value], "git config kstuff.options"));
        return words;
    }

    /// <summary>Reads the kstuff.* keys as seen from <paramref name="workDir"/> (inside a repository or not).</summary>
    public static KstuffSettings Load(string workDir)
    {
        var psi = new ProcessStartInfo("git") { WorkingDirectory = workDir, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in (string[])["config", "-z", "--get-regexp", @"^kstuff\."]) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new UserError("cannot run git");
        var errTask = p.StandardError.ReadToEndAsync();
        var text = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        // Exit 1: no such key. Anything else is a broken configuration git has already described.
        if (p.ExitCode is not (0 or 1))
            throw new UserError($"git config: {errTask.Result.Trim()}");
        return new KstuffSettings(ParseZ(text));
    }

    internal static Dictionary<string, List<string>> ParseZ(string text)
    {
        var values = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var record in text.Split('\0', StringSplitOptions.RemoveEmptyEntries))
        {
            var nl = record.IndexOf('\n');
            var key = (nl < 0 ? record : record[..nl]).ToLowerInvariant();
            var value = nl < 0 ? "true" : record[(nl + 1)..];
            if (!values.TryGetValue(key, out var list)) values[key] = list = [];
            list.Add(value);
        }
        return values;
    }
}
