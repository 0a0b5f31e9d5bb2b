using GitKsplice.Git;
using GitKsplice.Settings;

namespace GitKsplice.Hooks;

/// <summary>
/// The hook's settings: <see cref="KspliceConfigKeys.HookMode"/>, <see cref="KspliceConfigKeys.HookNotify"/>, and
/// <see cref="KspliceConfigKeys.HookTry"/> with <see cref="KspliceConfigKeys.HookCheck"/> and <see cref="KspliceConfigKeys.HookModule"/> (a hot-patchable
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
        new(repository.Config.Get(KspliceConfigKeys.HookMode), repository.Config.Get(KspliceConfigKeys.HookNotify),
            repository.Config.Get(KspliceConfigKeys.HookTry), repository.Config.Get(KspliceConfigKeys.HookCheck), repository.Config.Get(KspliceConfigKeys.HookModule));

    public static string Name(HookMode mode) => ConfigValues.Name(mode);
}
