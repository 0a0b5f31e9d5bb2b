namespace GitKsplice.Cli;

/// <summary>One documented git config key: what it sets, its default, and the option that overrides it.</summary>
public sealed record ConfigKey(string Name, string Default, string Description, string? Option = null, bool MultiValued = false);

/// <summary>
/// Every git config key the tools read, in one place: "git ksplice config" lists them with their current values,
/// the manual pages' CONFIGURATION sections are generated from them, and an unknown key under our prefixes is
/// reported as a likely typo. A key read anywhere must be listed here.
/// </summary>
public static class ConfigKeys
{
    public static IReadOnlyList<ConfigKey> Ksplice { get; } =
    [
        new("ksplice.buildCommand", "make", "The command that builds a tree, run by /bin/sh at the tree's top."),
        new("ksplice.compiler", "gcc on PATH", "The C compiler the build runs; its version is recorded in each update's manifest."),
        new("ksplice.jobs", "$CONCURRENCY_LEVEL, else the number of CPUs", "Parallel build jobs.", "--jobs"),
        new("ksplice.modules", "*.ko", "Globs of the build outputs that --build-modules packages; repeat the key or separate globs by spaces.", "--build-modules", MultiValued: true),
        new(Hooks.HookSettings.ModeKey, "background", "What the installed hooks (git ksplice hooks install) do after a commit, merge or rewrite: background (check the change in a detached job), sync (check it before git returns) or off."),
        new(Hooks.HookSettings.NotifyKey, "none", "A command the hook job runs with each verdict, as 'command VERDICT COMMIT SUMMARY', the verdict's note on its standard input and KSPLICE_* variables set."),
        new("ksplice.gc.maxAge", "30.days", "git ksplice gc removes build trees, build logs, update manifests and hook runs unused for longer than this (e.g. 2.weeks, now, never); recorded updates stay.", "--max-age"),
        new("color.ksplice", "the value of color.ui (auto)", "Colour in git ksplice's porcelain output: always, never, auto (only on a terminal); NO_COLOR in the environment turns it off."),
    ];

    public static IReadOnlyList<ConfigKey> Kstuff { get; } =
    [
        new("kstuff.root", "$ROOT", "$ROOT of the cross environment whose $ROOT/$MACH tree is bundled and delivered.", "--root"),
        new("kstuff.mach", "$MACH", "$MACH of the cross environment.", "--mach"),
        new("kstuff.idtools", "$TOOLS/etc/conf/bin", "The cross environment's idtools, included in a bundle with -T.", "--idtools"),
        new("kstuff.options", "none", "Options read after /etc/kstuff.rc and $HOME/.kstuff.rc and before the command line (the last one wins); each value is one line of options.", MultiValued: true),
        new("kstuff.sshCommand", "ssh", "The OpenSSH client command for remote targets, split as a shell would (e.g. \"ssh -F ~/.ssh/lab_config\")."),
        new("kstuff.sshMultiplex", "true", "Share one ssh connection (ControlMaster) between a delivery's steps, so it authenticates once; false turns it off."),
        new("kstuff.idbuild", "the merged tree's bin/idbuild, else /etc/conf/bin/idbuild", "Absolute path of idbuild on the target."),
        new("color.kstuff", "the value of color.ui (auto)", "Colour in git kstuff's porcelain output, as color.ksplice."),
    ];

    /// <summary>The notes settings "git ksplice setup" writes, so git log shows our notes and they follow rewrites.</summary>
    public static IReadOnlyList<ConfigKey> Notes { get; } =
    [
        new("notes.displayRef", "unset", "git ksplice setup adds refs/notes/ksplice and refs/notes/kstuff, so git log shows the update and bundle notes.", MultiValued: true),
        new("notes.rewriteRef", "unset", "git ksplice setup adds refs/notes/ksplice and refs/notes/kstuff, so the notes follow git commit --amend and git rebase.", MultiValued: true),
        new("notes.rewrite.amend", "true", "Set to true by git ksplice setup."),
        new("notes.rewrite.rebase", "true", "Set to true by git ksplice setup."),
    ];
}
