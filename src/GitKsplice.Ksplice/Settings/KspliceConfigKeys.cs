using GitKsplice.Transport;

namespace GitKsplice.Settings;

public enum HookMode { Background, Sync, Off }

/// <summary>
/// Every ksplice.* key git ksplice reads, each with its type, default, parser and the environment variable and
/// option that override it. Settings are read through <see cref="ConfigSnapshot.Get{T}"/> with one of these keys, so
/// a key that is read is declared here; "git ksplice config" lists them with their current values, the manual
/// page's CONFIGURATION section is generated from them, and an unknown key under ksplice. is reported as a likely typo.
/// </summary>
/// <remarks>
/// One precedence for both tools: the command line, then the environment, then git config, then the default.
/// </remarks>
public static class KspliceConfigKeys
{
    public static ConfigKey<string> BuildCommand { get; } = new("ksplice.buildCommand", "command", ConfigValues.Last(ConfigValues.Text), () => "make", "make",
        "The command that builds a tree, run by /bin/sh at the tree's top.");

    public static ConfigKey<string?> Compiler { get; } = new("ksplice.compiler", "path", ConfigValues.Last<string?>(ConfigValues.Text), () => null, "gcc on PATH",
        "The C compiler the build runs; its version is recorded in each update's manifest.");

    public static ConfigKey<IReadOnlyList<string>> CompilerLauncher { get; } = new("ksplice.compilerLauncher", "command",
        ConfigValues.Last<IReadOnlyList<string>>(v => GitKsplice.Processes.PosixShell.SplitWords(v ?? "")), () => [], "none",
        "A program every compile of a build runs through, given the compiler's command line (ccache, distcc, icecc), as CMake's " +
        "CMAKE_C_COMPILER_LAUNCHER; a build command that already names one (make CC=\"ccache gcc\") keeps its own.",
        option: "--launcher");

    public static ConfigKey<int> Jobs { get; } = new("ksplice.jobs", "int", ConfigValues.Last(ConfigValues.PositiveInt), () => System.Environment.ProcessorCount,
        "the number of CPUs (with distcc: distcc -j; with icecc: the slots of the farm $ICECC_SCHEDULER lists)", "Parallel build jobs.", option: "--jobs", environment: "CONCURRENCY_LEVEL");

    public static ConfigKey<IReadOnlyList<string>> Modules { get; } = new("ksplice.modules", "globs",
        values => ConfigValues.Every(values, v => ConfigValues.Text(v).Split([' ', ','], StringSplitOptions.RemoveEmptyEntries)) is { Count: > 0 } globs ? globs : ["*.ko"],
        () => ["*.ko"], "*.ko",
        "Globs of the build outputs that --build-modules packages; repeat the key or separate globs by spaces.",
        option: "--build-modules", multiValued: true);

    public static ConfigKey<bool> Replace { get; } = new("ksplice.replace", "bool", ConfigValues.Last(ConfigValues.Bool), () => false, "false",
        "Linux livepatch modules replace every earlier update (klp_patch.replace, cumulative) instead of stacking on it.",
        option: "--replace");

    public static ConfigKey<IReadOnlyList<string>> KspliceSshCommand { get; } = new("ksplice.sshCommand", "command", ConfigValues.Last(ConfigValues.Command), () => SshHost.DefaultCommand, "ssh",
        "The OpenSSH client command with which apply, undo and view reach a host, split as a shell would (e.g. \"ssh -F ~/.ssh/lab_config\").");

    public static ConfigKey<bool> RemoteSudo { get; } = new("ksplice.remoteSudo", "bool", ConfigValues.Last(ConfigValues.Bool), () => false, "false",
        "When the ssh login of apply, undo and view is not root, run their steps as root with sudo -n /bin/sh, which the host must allow without a password (NOPASSWD: /bin/sh).");

    public static ConfigKey<HookMode> HookMode { get; } = new("ksplice.hook.mode", "background|sync|off", ConfigValues.Last(ConfigValues.Choice<HookMode>),
        () => Settings.HookMode.Background, "background",
        "What the installed hooks (git ksplice hooks install) do after a commit, merge or rewrite: background (check the change in a detached job), sync (check it before git returns) or off.");

    public static ConfigKey<string?> HookNotify { get; } = new("ksplice.hook.notify", "command", ConfigValues.Last<string?>(v => v is { Length: > 0 } ? v : null), () => null, "none",
        "A command the hook job runs with each verdict, as 'command VERDICT COMMIT SUMMARY', the verdict's note on its standard input and KSPLICE_* variables set.");

    public static ConfigKey<bool> HookTry { get; } = new("ksplice.hook.try", "bool", ConfigValues.Last(ConfigValues.Bool), () => false, "false",
        "After a hot-patchable verdict the hook job runs git ksplice try on the update (the running kernel's image in ORIG_CONFIG) and records the result in the verdict.");

    public static ConfigKey<IReadOnlyList<string>> HookCheck { get; } = new("ksplice.hook.check", "command", values => ConfigValues.Every(values, v => [ConfigValues.Text(v)]),
        () => [], "none", "The checks the hook's try runs in the guest, as try's --check; repeat the key for more.", multiValued: true);

    public static ConfigKey<IReadOnlyList<string>> HookModule { get; } = new("ksplice.hook.module", "path", values => ConfigValues.Every(values, v => [ConfigValues.Text(v)]),
        () => [], "none", "Modules of the running kernel (.ko, relative to the working tree) the hook's try loads in the guest before the checks, as try's --module; repeat the key for more.", multiValued: true);

    public static ConfigKey<TimeSpan> GcMaxAge { get; } = new("ksplice.gc.maxAge", "duration", ConfigValues.Last(ConfigValues.Duration), () => TimeSpan.FromDays(30), "30.days",
        "git ksplice gc removes build trees, build logs, update manifests and hook runs unused for longer than this (e.g. 2.weeks, now, never); recorded updates stay.",
        option: "--max-age");

    public static ConfigKey<ColourMode?> ColorKsplice { get; } = GitConfigKeys.ColourKey("color.ksplice",
        "Colour in git ksplice's porcelain output: always, never, auto (only on a terminal); NO_COLOR in the environment turns it off.");

    /// <summary>Every key of git ksplice, in the order "git ksplice config" lists them.</summary>
    public static IReadOnlyList<ConfigKey> All { get; } = [BuildCommand, Compiler, CompilerLauncher, Jobs, Modules, Replace, KspliceSshCommand, RemoteSudo, HookMode, HookNotify, HookTry, HookCheck, HookModule, GcMaxAge, ColorKsplice];
}
