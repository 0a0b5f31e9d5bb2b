namespace GitKsplice.Settings;

/// <summary>
/// One git config key as the manual pages and the config command describe it: its name, the type of its value,
/// its default, the environment variable and option that override it. Keys are declared only in the key catalogues
/// (<see cref="GitConfigKeys"/>, git ksplice's KspliceConfigKeys, git kstuff's KstuffConfigKeys), and settings are
/// read by key, never by name, so a key that is read is a key that is documented.
/// </summary>
public abstract class ConfigKey
{
    private protected ConfigKey(string name, string type, string defaultText, string description, string? option, string? environment, bool multiValued)
    {
        Name = name;
        Type = type;
        Default = defaultText;
        Description = description;
        Option = option;
        Environment = environment;
        MultiValued = multiValued;
    }

    public string Name { get; }
    /// <summary>What a value looks like: bool, int, duration, path, command, text or a choice such as "background|sync|off".</summary>
    public string Type { get; }
    /// <summary>The default, as the manual states it.</summary>
    public string Default { get; }
    public string Description { get; }
    /// <summary>The command-line option that overrides the key, if any.</summary>
    public string? Option { get; }
    /// <summary>The environment variable that overrides the key's git config value, if any.</summary>
    public string? Environment { get; }
    /// <summary>Every value counts (git config --add), not only the last one.</summary>
    public bool MultiValued { get; }

    /// <summary>Checks the values git has for the key; null when they parse, else why not.</summary>
    internal abstract string? Check(IReadOnlyList<string?> values);

    public override string ToString() => Name;
}

/// <summary>A key whose value is a <typeparamref name="T"/>.</summary>
public sealed class ConfigKey<T> : ConfigKey
{
    private readonly Func<IReadOnlyList<string?>, T> _parse;
    private readonly Func<T> _default;
    private readonly Func<string, T>? _fromEnvironment;

    public ConfigKey(string name, string type, Func<IReadOnlyList<string?>, T> parse, Func<T> defaultValue, string defaultText,
        string description, string? option = null, string? environment = null, Func<string, T>? fromEnvironment = null, bool multiValued = false)
        : base(name, type, defaultText, description, option, environment, multiValued)
    {
        _parse = parse;
        _default = defaultValue;
        _fromEnvironment = fromEnvironment;
    }

    internal T DefaultValue() => _default();

    /// <summary>The value of a set environment variable: parsed as a config value unless the key maps it otherwise.</summary>
    internal T FromEnvironment(string text) => _fromEnvironment != null ? _fromEnvironment(text) : _parse([text]);

    /// <summary>The value of the key's git config values (at least one; a null is a key set without "=").</summary>
    internal T Parse(IReadOnlyList<string?> values) => _parse(values);

    internal override string? Check(IReadOnlyList<string?> values)
    {
        try { _parse(values); return null; }
        catch (FormatException e) { return e.Message; }
    }
}
