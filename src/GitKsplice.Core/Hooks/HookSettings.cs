using GitKsplice.Git;
using GitKsplice.Settings;

namespace GitKsplice.Hooks;

public enum HookMode { Background, Sync, Off }

/// <summary>
/// The hook's settings: <see cref="ConfigKeys.HookMode"/>, <see cref="ConfigKeys.HookNotify"/>, and
/// <see cref="ConfigKeys.HookTry"/> with <see cref="ConfigKeys.HookCheck"/> and <see cref="ConfigKeys.HookModule"/> (a hot-patchable
/// verdict followed by `git ksplice try`).
/// </summary>
/// <remarks>
/// Read through git itself, as the hook script reads the mode: libgit2 opened on a linked worktree does not see
/// the common config, and both must agree on the mode.
/// </remarks>
public sealed record HookSettings(HookMode Mode, string? Notify, bool Try = false, IReadOnlyList<string>? Checks = null,
    IReadOnlyList<string>? Modules = null)
{
    public static HookSettings Read(KspliceRepository repository) =>
        new(repository.Config.Get(ConfigKeys.HookMode), repository.Config.Get(ConfigKeys.HookNotify),
            repository.Config.Get(ConfigKeys.HookTry), repository.Config.Get(ConfigKeys.HookCheck), repository.Config.Get(ConfigKeys.HookModule));

    public static string Name(HookMode mode) => ConfigValues.Name(mode);
}
