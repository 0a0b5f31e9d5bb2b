using GitKsplice.Settings;

namespace GitKsplice.Kstuff.Options;

/// <summary>The kstuff.* settings of a command (<see cref="KstuffConfigKeys.All"/>), typed, from its one config snapshot.</summary>
public sealed class KstuffSettings(ConfigSnapshot config)
{
    /// <summary>The snapshot the settings come from, for opening the repository without reading git config again.</summary>
    public ConfigSnapshot Config => config;

    /// <summary>Reads the settings as seen from <paramref name="workDir"/> (inside a repository or not).</summary>
    public static KstuffSettings Load(string workDir) => new(ConfigSnapshot.Read(workDir));

    /// <summary>The ssh command for remote targets: kstuff.sshCommand, else plain "ssh".</summary>
    public IReadOnlyList<string> SshCommand => config.Get(KstuffConfigKeys.SshCommand);

    /// <summary>kstuff.sshMultiplex: one master connection for every step of a delivery.</summary>
    public bool SshMultiplex => config.Get(KstuffConfigKeys.SshMultiplex);

    /// <summary>kstuff.idbuild: idbuild's path on the target, when configured.</summary>
    public string? Idbuild => config.Get(KstuffConfigKeys.Idbuild);

    /// <summary>The option words of kstuff.options (each value one line of options).</summary>
    public List<OptionLine> OptionWords()
    {
        var words = new List<OptionLine>();
        foreach (var value in config.Get(KstuffConfigKeys.Options))
            words.AddRange(RcFiles.Words([value], "git config kstuff.options"));
        return words;
    }
}
