using GitKsplice.Settings;
using GitKsplice.Transport;

namespace GitKsplice.Kstuff.Options;

/// <summary>
/// Every kstuff.* key git kstuff reads, declared as git ksplice its ksplice.* keys declares git ksplice's: "git
/// kstuff config" lists them, the manual page documents them, and an unknown key under kstuff. is a likely typo.
/// </summary>
public static class KstuffConfigKeys
{
    public static ConfigKey<string?> Root { get; } = new("kstuff.root", "path", ConfigValues.Last<string?>(ConfigValues.Text), () => null, "none",
        "$ROOT of the cross environment whose $ROOT/$MACH tree is bundled and delivered.", option: "--root", environment: "ROOT");

    public static ConfigKey<string?> Mach { get; } = new("kstuff.mach", "text", ConfigValues.Last<string?>(ConfigValues.Text), () => null, "none",
        "$MACH of the cross environment.", option: "--mach", environment: "MACH");

    public static ConfigKey<string?> Idtools { get; } = new("kstuff.idtools", "path", ConfigValues.Last<string?>(ConfigValues.Text), () => null, "none",
        "The cross environment's idtools, included in a bundle with -T; $TOOLS sets it to $TOOLS/etc/conf/bin.",
        option: "--idtools", environment: "TOOLS", fromEnvironment: tools => Path.Combine(tools, "etc", "conf", "bin"));

    public static ConfigKey<IReadOnlyList<string>> Options { get; } = new("kstuff.options", "options", values => ConfigValues.Every(values, v => [ConfigValues.Text(v)]),
        () => [], "none",
        "Options read after /etc/kstuff.rc and $HOME/.kstuff.rc and before the command line (the last one wins); each value is one line of options.",
        multiValued: true);

    public static ConfigKey<IReadOnlyList<string>> SshCommand { get; } = new("kstuff.sshCommand", "command", ConfigValues.Last(ConfigValues.Command), () => SshHost.DefaultCommand, "ssh",
        "The OpenSSH client command for remote targets, split as a shell would (e.g. \"ssh -F ~/.ssh/lab_config\").");

    public static ConfigKey<bool> SshMultiplex { get; } = new("kstuff.sshMultiplex", "bool", ConfigValues.Last(ConfigValues.Bool), () => true, "true",
        "One OpenSSH master connection carries every step of a delivery; false connects once per step.");

    public static ConfigKey<string?> Idbuild { get; } = new("kstuff.idbuild", "path", ConfigValues.Last<string?>(ConfigValues.Text), () => null,
        "the merged tree's bin/idbuild, else /etc/conf/bin/idbuild", "Absolute path of idbuild on the target.");

    public static ConfigKey<ColourMode?> ColorKstuff { get; } = GitConfigKeys.ColourKey("color.kstuff", "Colour in git kstuff's porcelain output, as color.ksplice.");

    /// <summary>Every key of git kstuff, in the order "git kstuff config" lists them.</summary>
    public static IReadOnlyList<ConfigKey> All { get; } = [Root, Mach, Idtools, Options, SshCommand, SshMultiplex, Idbuild, ColorKstuff];
}
