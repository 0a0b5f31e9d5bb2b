using GitKsplice.Hooks;
using GitKsplice.Transport;

namespace GitKsplice.Settings;

/// <summary>How git colours porcelain output (color.ui, color.ksplice, color.kstuff).</summary>
public enum ColourMode { Auto, Always, Never }

/// <summary>
/// Every git config key the tools read, in one place, each with its type, default, parser and the environment
/// variable and option that override it. Settings are read through <see cref="ConfigSnapshot.Get{T}"/> with one
/// of these keys, so a key that is read is declared here; "git ksplice config" lists them with their current
/// values, the manual pages' CONFIGURATION sections are generated from them, and an unknown key under our
/// prefixes is reported as a likely typo.
/// </summary>
/// <remarks>
/// One precedence for both tools: the command line, then the environment, then git config, then the default.
/// </remarks>
public static class ConfigKeys
{
    // git ksplice

    public static ConfigKey<string> BuildCommand { get; } = new("ksplice.buildCommand", "command", Last(ConfigValues.Text), () => "make", "make",
        "The command that builds a tree, run by /bin/sh at the tree's top.");

    public static ConfigKey<string?> Compiler { get; } = new("ksplice.compiler", "path", Last<string?>(ConfigValues.Text), () => null, "gcc on PATH",
        "The C compiler the build runs; its version is recorded in each update's manifest.");

    public static ConfigKey<IReadOnlyList<string>> CompilerLauncher { get; } = new("ksplice.compilerLauncher", "command",
        Last<IReadOnlyList<string>>(v => PosixShell.SplitWords(v ?? "")), () => [], "none",
        "A program every compile of a build runs through, given the compiler's command line (ccache, distcc, icecc), as CMake's " +
        "CMAKE_C_COMPILER_LAUNCHER; a build command that already names one (make CC=\"ccache gcc\") keeps its own.",
        option: "--launcher");

    public static ConfigKey<int> Jobs { get; } = new("ksplice.jobs", "int", Last(ConfigValues.PositiveInt), () => System.Environment.ProcessorCount,
        "the number of CPUs (with distcc: distcc -j; with icecc: the slots of the farm $ICECC_SCHEDULER lists)", "Parallel build jobs.", option: "--jobs", environment: "CONCURRENCY_LEVEL");

    public static ConfigKey<IReadOnlyList<string>> Modules { get; } = new("ksplice.modules", "globs",
        values => Every(values, v => ConfigValues.Text(v).Split([' ', ','], StringSplitOptions.RemoveEmptyEntries)) is { Count: > 0 } globs ? globs : ["*.ko"],
        () => ["*.ko"], "*.ko",
        "Globs of the build outputs that --build-modules packages; repeat the key or separate globs by spaces.",
        option: "--build-modules", multiValued: true);

    public static ConfigKey<bool> Replace { get; } = new("ksplice.replace", "bool", Last(ConfigValues.Bool), () => false, "false",
        "Linux livepatch modules replace every earlier update (klp_patch.replace, cumulative) instead of stacking on it.",
        option: "--replace");

    public static ConfigKey<IReadOnlyList<string>> KspliceSshCommand { get; } = new("ksplice.sshCommand", "command", Last(SshWords), () => SshHost.DefaultCommand, "ssh",
        "The OpenSSH client command with which apply, undo and view reach a host, split as a shell would (e.g. \"ssh -F ~/.ssh/lab_config\").");

    public static ConfigKey<bool> RemoteSudo { get; } = new("ksplice.remoteSudo", "bool", Last(ConfigValues.Bool), () => false, "false",
        "When the ssh login of apply, undo and view is not root, run their steps as root with sudo -n /bin/sh, which the host must allow without a password (NOPASSWD: /bin/sh).");

    public static ConfigKey<HookMode> HookMode { get; } = new("ksplice.hook.mode", "background|sync|off", Last(ConfigValues.Choice<HookMode>),
        () => Hooks.HookMode.Background, "background",
        "What the installed hooks (git ksplice hooks install) do after a commit, merge or rewrite: background (check the change in a detached job), sync (check it before git returns) or off.");

    public static ConfigKey<string?> HookNotify { get; } = new("ksplice.hook.notify", "command", Last<string?>(v => v is { Length: > 0 } ? v : null), () => null, "none",
        "A command the hook job runs with each verdict, as 'command VERDICT COMMIT SUMMARY', the verdict's note on its standard input and KSPLICE_* variables set.");

    public static ConfigKey<bool> HookTry { get; } = new("ksplice.hook.try", "bool", Last(ConfigValues.Bool), () => false, "false",
        "After a hot-patchable verdict the hook job runs git ksplice try on the update (the running kernel's image in ORIG_CONFIG) and records the result in the verdict.");

    public static ConfigKey<IReadOnlyList<string>> HookCheck { get; } = new("ksplice.hook.check", "command", values => Every(values, v => [ConfigValues.Text(v)]),
        () => [], "none", "The checks the hook's try runs in the guest, as try's --check; repeat the key for more.", multiValued: true);

    public static ConfigKey<IReadOnlyList<string>> HookModule { get; } = new("ksplice.hook.module", "path", values => Every(values, v => [ConfigValues.Text(v)]),
        () => [], "none", "Modules of the running kernel (.ko, relative to the working tree) the hook's try loads in the guest before the checks, as try's --module; repeat the key for more.", multiValued: true);

    public static ConfigKey<TimeSpan> GcMaxAge { get; } = new("ksplice.gc.maxAge", "duration", Last(ConfigValues.Duration), () => TimeSpan.FromDays(30), "30.days",
        "git ksplice gc removes build trees, build logs, update manifests and hook runs unused for longer than this (e.g. 2.weeks, now, never); recorded updates stay.",
        option: "--max-age");

    public static ConfigKey<ColourMode?> ColorKsplice { get; } = ColourKey("color.ksplice",
        "Colour in git ksplice's porcelain output: always, never, auto (only on a terminal); NO_COLOR in the environment turns it off.");

    // git kstuff

    public static ConfigKey<string?> Root { get; } = new("kstuff.root", "path", Last<string?>(ConfigValues.Text), () => null, "none",
        "$ROOT of the cross environment whose $ROOT/$MACH tree is bundled and delivered.", option: "--root", environment: "ROOT");

    public static ConfigKey<string?> Mach { get; } = new("kstuff.mach", "text", Last<string?>(ConfigValues.Text), () => null, "none",
        "$MACH of the cross environment.", option: "--mach", environment: "MACH");

    public static ConfigKey<string?> Idtools { get; } = new("kstuff.idtools", "path", Last<string?>(ConfigValues.Text), () => null, "none",
        "The cross environment's idtools, included in a bundle with -T; $TOOLS sets it to $TOOLS/etc/conf/bin.",
        option: "--idtools", environment: "TOOLS", fromEnvironment: tools => Path.Combine(tools, "etc", "conf", "bin"));

    public static ConfigKey<IReadOnlyList<string>> Options { get; } = new("kstuff.options", "options", values => Every(values, v => [ConfigValues.Text(v)]),
        () => [], "none",
        "Options read after /etc/kstuff.rc and $HOME/.kstuff.rc and before the command line (the last one wins); each value is one line of options.",
        multiValued: true);

    public static ConfigKey<IReadOnlyList<string>> SshCommand { get; } = new("kstuff.sshCommand", "command", Last(SshWords), () => SshHost.DefaultCommand, "ssh",
        "The OpenSSH client command for remote targets, split as a shell would (e.g. \"ssh -F ~/.ssh/lab_config\").");

    public static ConfigKey<bool> SshMultiplex { get; } = new("kstuff.sshMultiplex", "bool", Last(ConfigValues.Bool), () => true, "true",
        "One OpenSSH master connection carries every step of a delivery; false connects once per step.");

    public static ConfigKey<string?> Idbuild { get; } = new("kstuff.idbuild", "path", Last<string?>(ConfigValues.Text), () => null,
        "the merged tree's bin/idbuild, else /etc/conf/bin/idbuild", "Absolute path of idbuild on the target.");

    public static ConfigKey<ColourMode?> ColorKstuff { get; } = ColourKey("color.kstuff", "Colour in git kstuff's porcelain output, as color.ksplice.");

    // git's own keys

    public static ConfigKey<ColourMode> ColorUi { get; } = new("color.ui", "always|never|auto", Last(Colour), () => ColourMode.Auto, "auto",
        "git's colour setting for every command; color.ksplice and color.kstuff fall back to it.");

    public static ConfigKey<IReadOnlyList<string>> NotesDisplayRef { get; } = new("notes.displayRef", "refs", values => Every(values, v => [ConfigValues.Text(v)]),
        () => [], "unset",
        "git ksplice setup adds refs/notes/ksplice and refs/notes/kstuff, so git log shows the update and bundle notes.", multiValued: true);

    public static ConfigKey<IReadOnlyList<string>> NotesRewriteRef { get; } = new("notes.rewriteRef", "refs", values => Every(values, v => [ConfigValues.Text(v)]),
        () => [], "unset",
        "git ksplice setup adds refs/notes/ksplice and refs/notes/kstuff, so the notes follow git commit --amend and git rebase.", multiValued: true);

    public static ConfigKey<bool> NotesRewriteAmend { get; } = new("notes.rewrite.amend", "bool", Last(ConfigValues.Bool), () => true, "true",
        "Set to true by git ksplice setup.");

    public static ConfigKey<bool> NotesRewriteRebase { get; } = new("notes.rewrite.rebase", "bool", Last(ConfigValues.Bool), () => true, "true",
        "Set to true by git ksplice setup.");

    public static IReadOnlyList<ConfigKey> Ksplice { get; } = [BuildCommand, Compiler, CompilerLauncher, Jobs, Modules, Replace, KspliceSshCommand, RemoteSudo, HookMode, HookNotify, HookTry, HookCheck, HookModule, GcMaxAge, ColorKsplice];

    public static IReadOnlyList<ConfigKey> Kstuff { get; } = [Root, Mach, Idtools, Options, SshCommand, SshMultiplex, Idbuild, ColorKstuff];

    /// <summary>The notes settings "git ksplice setup" writes, so git log shows our notes and they follow rewrites.</summary>
    public static IReadOnlyList<ConfigKey> Notes { get; } = [NotesDisplayRef, NotesRewriteRef, NotesRewriteAmend, NotesRewriteRebase];

    /// <summary>Every declared key.</summary>
    public static IReadOnlyList<ConfigKey> All { get; } = [.. Ksplice, .. Kstuff, ColorUi, .. Notes];

    /// <summary>A single-valued key: the last value wins, as git config --get gives it.</summary>
    private static Func<IReadOnlyList<string?>, T> Last<T>(Func<string?, T> parse) => values => parse(values[^1]);

    /// <summary>A multi-valued key: every value, in git's order (system, global, local, worktree, command line).</summary>
    private static List<string> Every(IReadOnlyList<string?> values, Func<string?, IEnumerable<string>> parse) => [.. values.SelectMany(parse)];

    private static IReadOnlyList<string> SshWords(string? value) =>
        PosixShell.SplitWords(ConfigValues.Text(value)) is { Count: > 0 } words ? words : throw new FormatException("the command is empty");

    /// <summary>git's colour booleans: always, never, auto, or a boolean (true means auto).</summary>
    private static ColourMode Colour(string? value) => value?.Trim().ToLowerInvariant() switch
    {
        "always" => ColourMode.Always,
        "never" => ColourMode.Never,
        "auto" => ColourMode.Auto,
        _ => ConfigValues.Bool(value) ? ColourMode.Auto : ColourMode.Never,
    };

    /// <summary>A tool's colour key: unset falls back to color.ui; NO_COLOR turns colour off whatever git config says.</summary>
    private static ConfigKey<ColourMode?> ColourKey(string name, string description) =>
        new(name, "always|never|auto", Last<ColourMode?>(v => Colour(v)), () => null, "the value of color.ui (auto)", description,
            environment: "NO_COLOR", fromEnvironment: _ => ColourMode.Never);
}
