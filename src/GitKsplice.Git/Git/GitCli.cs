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

    /// <summary>The paths two trees (or commits) differ in; a rename is a deletion and an addition.</summary>
    public string[] PathsBetween(string from, string to) =>
        Run(["diff-tree", "-r", "-z", "--name-only", "--no-renames", from, to]).Split('\0', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>The symbolic links of the tree (or commit) <paramref name="treeish"/>, each with its target.</summary>
    public IReadOnlyList<(string Path, string Target)> SymbolicLinks(string treeish)
    {
        // ls-tree -z: "<mode> <type> <oid>\t<path>" per entry; a link's mode is 120000 and its blob its target.
        var links = new List<(string Path, string Oid)>();
        foreach (var entry in Run(["ls-tree", "-r", "-z", treeish]).Split('\0', StringSplitOptions.RemoveEmptyEntries))
            if (entry.StartsWith("120000 blob ", StringComparison.Ordinal) && entry.IndexOf('\t') is var tab and > 0)
                links.Add((entry[(tab + 1)..], entry["120000 blob ".Length..tab]));
        if (links.Count == 0) return [];
        var texts = BlobTexts(links.Select(l => l.Oid).Distinct(StringComparer.Ordinal).ToList());
        return [.. links.Select(l => (l.Path, texts[l.Oid]))];
    }

    /// <summary>The contents, as text, of the blobs <paramref name="oids"/> (distinct) that exist, by oid; one git for all.</summary>
    public Dictionary<string, string> BlobTexts(IReadOnlyCollection<string> oids)
    {
        var texts = new Dictionary<string, string>(StringComparer.Ordinal);
        if (oids.Count == 0) return texts;
        var output = RunBinary(["cat-file", "--batch", "--buffer"], string.Concat(oids.Select(oid => oid + "\n")));
        // Each object: "<oid> SP <type> SP <size> LF <contents> LF"; one not there: "<oid> SP missing LF".
        for (var pos = 0; pos < output.Length;)
        {
            var lineEnd = Array.IndexOf(output, (byte)'\n', pos);
            if (lineEnd < 0) break;
            var header = System.Text.Encoding.ASCII.GetString(output, pos, lineEnd - pos).Split(' ');
            pos = lineEnd + 1;
            if (header.Length != 3) continue;
            var size = int.Parse(header[2], System.Globalization.CultureInfo.InvariantCulture);
            texts[header[0]] = System.Text.Encoding.UTF8.GetString(output, pos, size);
            pos += size + 1;
        }
        return texts;
    }

    /// <summary>
    /// Runs git where exit code <paramref name="answer"/> is an answer, not a failure (git config --get-all
    /// exits 1 when the key has no value); any other failure becomes a UserError as in <see cref="Run(IEnumerable{string}, string?)"/>.
    /// </summary>
    public CommandResult RunAnswering(IEnumerable<string> args, int answer)
    {
        var list = args.ToList();
        var r = TryRun(list);
        if (!r.Succeeded && r.ExitCode != answer) throw Failure(r.StdErr, $"git {string.Join(' ', list)} exited with {r.ExitCode}");
        return r;
    }

    /// <summary>The git directory git finds from the working directory; null when it is in no repository, an error when git fails otherwise.</summary>
    public string? FindGitDirectory()
    {
        var found = TryRun(["rev-parse", "--absolute-git-dir"]);
        if (found.Succeeded) return found.StdOut.Trim();
        if (FirstLine(found.StdErr) is not { } reason || reason.Contains("not a git repository")) return null;
        throw Failure(found.StdErr, $"git rev-parse exited with {found.ExitCode}");
    }

    /// <summary>The error for a directory in no repository, as git words it, naming the directory.</summary>
    public static UserError NotARepository(string directory, string? hint = null) =>
        new($"not a git repository (or any of the parent directories): {directory}{(hint == null ? "" : "; " + hint)}");

    /// <summary>Starts git with all three streams redirected, for a conversation (update-ref --stdin, cat-file --batch).</summary>
    public System.Diagnostics.Process Spawn(IEnumerable<string> args) => CommandRunner.Spawn(WorkDir, "git", args, env);

    /// <summary>Runs git and returns its stdout as bytes; a failure becomes a UserError carrying git's own message.</summary>
    public byte[] RunBinary(IReadOnlyList<string> args, string? stdin = null)
    {
        var (exitCode, stdout, stderr) = CommandRunner.RunBinary(WorkDir, "git", args, env, stdin);
        if (exitCode == 0) return stdout;
        throw Failure(stderr, $"git {string.Join(' ', args)} exited with {exitCode}");
    }

    /// <summary>
    /// git's failure as one error line: the first line it wrote, without "fatal: ", else <paramref name="fallback"/>;
    /// after "<paramref name="what"/>: " when that is given.
    /// </summary>
    internal static UserError Failure(string stderr, string fallback, string? what = null) => UserError.FromStderr(stderr, fallback, what);

    internal static string? FirstLine(string text) => UserError.FirstLine(text);
}
