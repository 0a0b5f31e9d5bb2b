using GitKsplice.Processes;
using GitKsplice.Reporting;

namespace GitKsplice.Git;

/// <summary>
/// The git command line, for what libgit2 does differently from git: ref updates with reflogs and
/// compare-and-swap, index and work-tree plumbing on our own build trees.
/// </summary>
public sealed class GitCli(string workDir, IReadOnlyDictionary<string, string?>? env = null)
{
    public string WorkDir { get; } = workDir;

    public GitCli With(IReadOnlyDictionary<string, string?> extraEnv)
    {
        var merged = new Dictionary<string, string?>(env ?? new Dictionary<string, string?>());
        foreach (var (k, v) in extraEnv) merged[k] = v;
        return new GitCli(WorkDir, merged);
    }

    public CommandResult TryRun(IEnumerable<string> args, string? stdin = null) =>
        CommandRunner.Run(WorkDir, "git", args, env, stdin);

    /// <summary>Runs git; a failure becomes a UserError carrying git's own message.</summary>
    public string Run(IEnumerable<string> args, string? stdin = null)
    {
        var list = args.ToList();
        var r = TryRun(list, stdin);
        if (!r.Succeeded) throw Failure(r.StdErr, $"git {string.Join(' ', list)} exited with {r.ExitCode}");
        return r.StdOut;
    }

    public string Run(params string[] args) => Run((IEnumerable<string>)args);

    /// <summary>Starts git with all three streams redirected, for a conversation (update-ref --stdin, cat-file --batch).</summary>
    public System.Diagnostics.Process Spawn(IEnumerable<string> args) => CommandRunner.Spawn(WorkDir, "git", args, env);

    /// <summary>Runs git and returns its stdout as bytes; a failure becomes a UserError carrying git's own message.</summary>
    public byte[] RunBinary(IReadOnlyList<string> args, string? stdin = null)
    {
        var (exitCode, stdout, stderr) = CommandRunner.RunBinary(WorkDir, "git", args, env, stdin);
        if (exitCode == 0) return stdout;
        throw Failure(stderr, $"git {string.Join(' ', args)} exited with {exitCode}");
    }

    /// <summary>git's failure as one error line: the first line it wrote, without "fatal: ", else <paramref name="fallback"/>.</summary>
    internal static UserError Failure(string stderr, string fallback)
    {
        var message = FirstLine(stderr) ?? fallback;
        return new UserError(message.StartsWith("fatal: ") ? message["fatal: ".Length..] : message);
    }

    internal static string? FirstLine(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault();
}
