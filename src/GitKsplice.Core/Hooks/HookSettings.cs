using GitKsplice.Cli;
using GitKsplice.Git;

namespace GitKsplice.Hooks;

public enum HookMode { Background, Sync, Off }

/// <summary>The ksplice.hook.* settings of git config.</summary>
public sealed record HookSettings(HookMode Mode, string? Notify)
{
    public const string ModeKey = "ksplice.hook.mode";
    public const string NotifyKey = "ksplice.hook.notify";

    /// <summary>
    /// Read through git itself, which the hook script reads too: libgit2 opened on a linked worktree does not
    /// see the common config, and both must agree on the mode.
    /// </summary>
    public static HookSettings Read(KspliceRepository repository)
    {
        string? Get(string key) => repository.Git.TryRun(["config", "--get", key]) is { Succeeded: true } r ? r.StdOut.Trim() : null;
        var mode = Get(ModeKey)?.ToLowerInvariant() switch
        {
            null or "" or "background" => HookMode.Background,
            "sync" => HookMode.Sync,
            "off" => HookMode.Off,
            var other => throw new UserError($"bad {ModeKey} '{other}': use background, sync or off"),
        };
        var notify = Get(NotifyKey) is { Length: > 0 } n ? n : null;
        return new HookSettings(mode, notify);
    }

    public static string Name(HookMode mode) => mode.ToString().ToLowerInvariant();
}
