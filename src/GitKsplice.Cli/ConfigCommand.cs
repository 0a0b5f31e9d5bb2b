using System.CommandLine;
using System.Text.Json.Serialization;
using GitKsplice.Json;
using GitKsplice.Reporting;

namespace GitKsplice.Cli;

/// <summary>
/// "git ksplice config" / "git kstuff config": every documented key with its default and its current value and
/// scope, as git config sees them from here (so includes and GIT_CONFIG_* apply), and the environment variable
/// that overrides it when set; an unknown key under our prefix is pointed out as a likely typo, a value that
/// does not parse as a likely mistake.
/// </summary>
public static class ConfigCommand
{
    public static Command Build(ToolDescription tool)
    {
        var json = CommonOptions.Json();
        var command = new Command("config", $"List the {tool.ConfigPrefix}.* git config keys with their defaults and current values") { json };
        command.Runs((context, parse) =>
        {
            var keys = tool.ConfigKeys;
            var config = context.Config;
            var unknown = config.Undeclared(tool.ConfigPrefix + ".", tool.ConfigKeys);
            if (parse.GetValue(json))
            {
                context.WriteJson(new ConfigJson(
                    keys.Select(k => new ConfigJson.Setting(k.Name, k.Type, k.Default, k.Option, k.Environment, config.EnvironmentValue(k), k.MultiValued,
                        k.Description, config.Values(k).Select(v => new ConfigJson.ScopedValue(v.Value, v.Scope)).ToList())).ToList(),
                    unknown.Select(v => new ConfigJson.UnknownKey(v.Key, v.Value, v.Scope)).ToList()), CliJsonContext.Relaxed.ConfigJson);
                return ExitCodes.Success;
            }
            var colour = context.Colour;
            var width = keys.Max(k => k.Name.Length);
            foreach (var k in keys)
            {
                var values = config.Values(k);
                if (config.EnvironmentValue(k) is { } fromEnvironment)
                    context.Out.WriteLine($"{k.Name.PadRight(width)}  {colour.Name(fromEnvironment)}  {colour.Dim($"(environment ${k.Environment}, over git config)")}");
                else if (values.Count == 0)
                    context.Out.WriteLine($"{k.Name.PadRight(width)}  {colour.Dim($"(default: {k.Default})")}");
                foreach (var v in values)
                    context.Out.WriteLine($"{k.Name.PadRight(width)}  {colour.Name(v.Value ?? "")}  {colour.Dim($"({v.Scope})")}");
                if (config.Problem(k) is { } problem)
                    context.Output.Warning($"bad value of {k.Name}: {problem}");
            }
            foreach (var v in unknown)
                context.Output.Warning($"unknown key {v.Key} (set in {v.Scope} config); see '{tool.GitName} config' for the known keys");
            return ExitCodes.Success;
        });
        return command;
    }
}

/// <summary>config --json: every documented key with its default and where it is set, then the unknown keys under the tool's prefix.</summary>
internal sealed record ConfigJson(IReadOnlyList<ConfigJson.Setting> Keys, IReadOnlyList<ConfigJson.UnknownKey> Unknown)
{
    internal sealed record Setting(string Key, string Type, string Default, string? Option, string? Environment, string? EnvironmentValue,
        bool MultiValued, string Description, IReadOnlyList<ScopedValue> Values);

    internal sealed record ScopedValue(string? Value, string Scope);

    internal sealed record UnknownKey(string Key, string? Value, string Scope);
}

/// <summary>The --json reports of the commands both tools share, in the wire shape of <see cref="WireJson"/>.</summary>
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, Converters = [typeof(WireTimeConverter)])]
[JsonSerializable(typeof(ConfigJson))]
internal sealed partial class CliJsonContext : JsonSerializerContext
{
    private static CliJsonContext? s_relaxed;

    /// <summary>The generated options with the relaxed encoder (<see cref="WireJson.Relaxed"/>).</summary>
    public static CliJsonContext Relaxed => s_relaxed ??= new(WireJson.Relaxed(Default.Options));
}
