namespace GitKsplice.Settings;

/// <summary>How git colours porcelain output (color.ui, color.ksplice, color.kstuff).</summary>
public enum ColourMode { Auto, Always, Never }

/// <summary>
/// The keys of git's own that both tools read or write: color.ui, and the notes settings "git ksplice setup" writes.
/// Each tool declares its own keys beside its code (git ksplice's KspliceConfigKeys, git kstuff's KstuffConfigKeys).
/// </summary>
public static class GitConfigKeys
{
    public static ConfigKey<ColourMode> ColorUi { get; } = new("color.ui", "always|never|auto", ConfigValues.Last(Colour), () => ColourMode.Auto, "auto",
        "git's colour setting for every command; color.ksplice and color.kstuff fall back to it.");

    public static ConfigKey<IReadOnlyList<string>> NotesDisplayRef { get; } = new("notes.displayRef", "refs", values => ConfigValues.Every(values, v => [ConfigValues.Text(v)]),
        () => [], "unset",
        "git ksplice setup adds refs/notes/ksplice and refs/notes/kstuff, so git log shows the update and bundle notes.", multiValued: true);

    public static ConfigKey<IReadOnlyList<string>> NotesRewriteRef { get; } = new("notes.rewriteRef", "refs", values => ConfigValues.Every(values, v => [ConfigValues.Text(v)]),
        () => [], "unset",
        "git ksplice setup adds refs/notes/ksplice and refs/notes/kstuff, so the notes follow git commit --amend and git rebase.", multiValued: true);

    public static ConfigKey<bool> NotesRewriteAmend { get; } = new("notes.rewrite.amend", "bool", ConfigValues.Last(ConfigValues.Bool), () => true, "true",
        "Set to true by git ksplice setup.");

    public static ConfigKey<bool> NotesRewriteRebase { get; } = new("notes.rewrite.rebase", "bool", ConfigValues.Last(ConfigValues.Bool), () => true, "true",
        "Set to true by git ksplice setup.");

    /// <summary>The notes settings "git ksplice setup" writes, so git log shows our notes and they follow rewrites.</summary>
    public static IReadOnlyList<ConfigKey> Notes { get; } = [NotesDisplayRef, NotesRewriteRef, NotesRewriteAmend, NotesRewriteRebase];

    /// <summary>A tool's colour key: unset falls back to color.ui; NO_COLOR turns colour off whatever git config says.</summary>
    public static ConfigKey<ColourMode?> ColourKey(string name, string description) =>
        new(name, "always|never|auto", ConfigValues.Last<ColourMode?>(v => Colour(v)), () => null, "the value of color.ui (auto)", description,
            environment: "NO_COLOR", fromEnvironment: _ => ColourMode.Never);

    /// <summary>git's colour booleans: always, never, auto, or a boolean (true means auto).</summary>
    private static ColourMode Colour(string? value) => value?.Trim().ToLowerInvariant() switch
    {
        "always" => ColourMode.Always,
        "never" => ColourMode.Never,
        "auto" => ColourMode.Auto,
        _ => ConfigValues.Bool(value) ? ColourMode.Auto : ColourMode.Never,
    };
}
