using GitKsplice.Cli;
using GitKsplice.Git;

namespace GitKsplice.Hooks;

public enum HookMode { Background, Sync, Off }

/// <summary>The ksplice.hook.* settings of git config.</summary>
public sealed record HookSettings(HookMode Mode, string? Notify)
{
    public const string ModeKey = "ksplice.hook.mode";
    public const string NotifyKey = "ksplice.hook.notify";

    public static HookSettings Read(KspliceRepository repository)
    {
        var config = repository.Repo.Config;
        var mode = config.Get<string>(ModeKey)?.Value?.Trim().ToLowerInvariant() switch
        {
            null or "" or "background" => HookMode.Background,
            "sync" => HookMode.Sync,
            "off" => HookMode.Off,
            var other => throw new UserError($"bad {ModeKey} '{other}': use background, sync or off"),
        };
        var notify = config.Get<string>(NotifyKey)?.Value is { Length: > 0 } n ? n : null;
        return new HookSettings(mode, notify);
    }

    public static string Name(HookMode mode) => mode.ToString().ToLowerInvariant();
}
