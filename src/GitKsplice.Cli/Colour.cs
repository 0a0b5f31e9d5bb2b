using GitKsplice.Settings;
using GitKsplice.Updates;

namespace GitKsplice.Cli;

/// <summary>
/// Colour for porcelain output, decided as git decides it: the tool's key (color.ksplice, color.kstuff), else
/// color.ui: always, never, or auto (only when standard output is a terminal, or git's pager, and TERM is set and
/// not dumb); NO_COLOR in the environment turns it off whatever git config says.
/// </summary>
public sealed class Colour
{
    private const string Reset = "\x1b[m";
    public bool Enabled { get; }

    private Colour(bool enabled) => Enabled = enabled;

    public static Colour Off { get; } = new(false);

    /// <summary>Colour for a command's standard output, which is or is not a terminal (or git's pager).</summary>
    public static Colour ForStdout(ConfigSnapshot config, ConfigKey<ColourMode?> toolKey, bool terminal) =>
        (config.Get(toolKey) ?? config.Get(GitConfigKeys.ColorUi)) switch
        {
            ColourMode.Always => new Colour(true),
            ColourMode.Never => Off,
            _ => new Colour(terminal && Environment.GetEnvironmentVariable("TERM") is { Length: > 0 } term && term != "dumb"),
        };

    private string Paint(string code, string text) => Enabled && text.Length > 0 ? $"\x1b[{code}m{text}{Reset}" : text;

    public string Good(string text) => Paint("32", text);
    public string Bad(string text) => Paint("1;31", text);
    public string Warn(string text) => Paint("33", text);
    public string Name(string text) => Paint("33", text);
    public string Dim(string text) => Paint("2", text);
    public string Bold(string text) => Paint("1", text);

    /// <summary>An update's verdict word, as its note has it: hot-patchable green, unsafe (forced or not) red, anything else yellow.</summary>
    public string Verdict(string? verdict, int width = 0)
    {
        var text = (verdict ?? "?").PadRight(width);
        return UpdateVerdicts.Words.Parse(verdict) switch
        {
            UpdateVerdict.HotPatchable => Good(text),
            UpdateVerdict.Unsafe or UpdateVerdict.ForcedUnsafe => Bad(text),
            _ => Warn(text),
        };
    }
}
