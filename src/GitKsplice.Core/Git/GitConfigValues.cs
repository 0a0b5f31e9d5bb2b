namespace GitKsplice.Git;

/// <summary>
/// The values of a git config section, read through git itself in one call: libgit2 opened on a linked
/// worktree does not see the common config, and git's own precedence (system, global, local, worktree,
/// -c and GIT_CONFIG_*) must hold.
/// </summary>
public sealed class GitConfigValues
{
    private readonly ILookup<string, string> _values;

    private GitConfigValues(ILookup<string, string> values) => _values = values;

    /// <summary>Every setting git reports in <paramref name="directory"/>, keys lower-cased as git reports them.</summary>
    public static GitConfigValues ReadAll(string directory)
    {
        var r = new GitCli(directory).TryRun(["config", "-z", "--list"]);
        var entries = r.Succeeded ? r.StdOut.Split('\0', StringSplitOptions.RemoveEmptyEntries) : [];
        return new GitConfigValues(entries
            .Select(e => e.Split('\n', 2))
            .ToLookup(kv => kv[0], kv => kv.Length > 1 ? kv[1] : "true", StringComparer.OrdinalIgnoreCase));
    }

    /// <summary>The last value of a key (git's "last one wins"), or null.</summary>
    public string? Get(string key) => _values[key].LastOrDefault();

    public IEnumerable<string> GetAll(string key) => _values[key];
}
