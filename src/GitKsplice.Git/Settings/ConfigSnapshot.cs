using GitKsplice.Processes;
using GitKsplice.Reporting;

namespace GitKsplice.Settings;

/// <summary>Where a setting's value came from.</summary>
public enum ConfigSource { Default, GitConfig, Environment }

/// <summary>One value git config has for a key, with the scope it comes from (system, global, local, worktree, command).</summary>
public sealed record ConfigEntry(string Key, string? Value, string Scope);

/// <summary>
/// The settings of one command: git config read once, through git itself (so includes, conditional includes,
/// the common config of a linked worktree, -c and GIT_CONFIG_* all apply as git applies them), and the
/// environment. A value is the environment variable of its key when that is set, else git config, else the
/// key's default; the command line, which wins over all three, is the caller's to apply.
/// </summary>
public sealed class ConfigSnapshot
{
    private readonly ILookup<string, ConfigEntry> _entries;
    private readonly IReadOnlyList<ConfigEntry> _all;
    private readonly Func<string, string?> _environment;

    private ConfigSnapshot(IReadOnlyList<ConfigEntry> entries, Func<string, string?> environment)
    {
        _all = entries;
        _entries = entries.ToLookup(e => e.Key, StringComparer.OrdinalIgnoreCase);
        _environment = environment;
    }

    /// <summary>
    /// Reads git config as seen from <paramref name="directory"/> (inside a repository or not). A configuration
    /// git cannot read is an error, never silently the defaults.
    /// </summary>
    public static ConfigSnapshot Read(string directory, Func<string, string?>? environment = null)
    {
        var result = CommandRunner.Run(directory, "git", ["config", "-z", "--list", "--show-scope"]);
        if (!result.Succeeded) throw UserError.FromStderr(result.StdErr, $"git config --list exited with {result.ExitCode}");
        return Parse(result.StdOut, environment ?? System.Environment.GetEnvironmentVariable);
    }

    /// <summary>The output of git config -z --list --show-scope: "scope\0key\nvalue\0" per value, "scope\0key\0" for a key without "=".</summary>
    internal static ConfigSnapshot Parse(string listing, Func<string, string?> environment)
    {
        var entries = new List<ConfigEntry>();
        var fields = listing.Split('\0');
        for (var i = 0; i + 1 < fields.Length; i += 2)
        {
            var entry = fields[i + 1];
            var nl = entry.IndexOf('\n');
            entries.Add(nl < 0 ? new ConfigEntry(entry, null, fields[i]) : new ConfigEntry(entry[..nl], entry[(nl + 1)..], fields[i]));
        }
        return new ConfigSnapshot(entries, environment);
    }

    /// <summary>The key's value: its environment variable when set (and not empty), else git config, else its default.</summary>
    public T Get<T>(ConfigKey<T> key)
    {
        if (EnvironmentValue(key) is { } text)
        {
            try { return key.FromEnvironment(text); }
            catch (FormatException e) { throw new UserError($"${key.Environment}: {e.Message}"); }
        }
        var values = Values(key);
        if (values.Count == 0) return key.DefaultValue();
        try { return key.Parse([.. values.Select(v => v.Value)]); }
        catch (FormatException e) { throw new UserError($"git config {key.Name} ({values[^1].Scope}): {e.Message}"); }
    }

    /// <summary>Which of the environment, git config or the default gives the key's value.</summary>
    public ConfigSource SourceOf(ConfigKey key) =>
        EnvironmentValue(key) != null ? ConfigSource.Environment : Values(key).Count > 0 ? ConfigSource.GitConfig : ConfigSource.Default;

    /// <summary>Every git config value of a key, in git's order (the last one wins for a single-valued key).</summary>
    public IReadOnlyList<ConfigEntry> Values(ConfigKey key) => [.. _entries[key.Name]];

    /// <summary>Why the key's git config values do not parse, or null when they do (or there are none).</summary>
    public string? Problem(ConfigKey key) => Values(key) is { Count: > 0 } values ? key.Check([.. values.Select(v => v.Value)]) : null;

    /// <summary>The values of keys under <paramref name="prefix"/> that none of <paramref name="declared"/> names: likely typos.</summary>
    public IReadOnlyList<ConfigEntry> Undeclared(string prefix, IReadOnlyList<ConfigKey> declared) =>
        [.. _all.Where(e => e.Key.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)
            && !declared.Any(k => k.Name.Equals(e.Key, StringComparison.OrdinalIgnoreCase)))];

    /// <summary>The environment variable's value, when the key has one and it is set and not empty.</summary>
    public string? EnvironmentValue(ConfigKey key) =>
        key.Environment != null && _environment(key.Environment) is { Length: > 0 } text ? text : null;
}
