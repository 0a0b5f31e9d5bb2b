using System.CommandLine;
using System.Text.Json.Nodes;
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
                context.WriteJson(new JsonObject
                {
                    ["keys"] = keys.ToJsonArray(k => new JsonObject
                    {
                        ["key"] = k.Name,
                        ["type"] = k.Type,
                        ["default"] = k.Default,
                        ["option"] = k.Option,
                        ["environment"] = k.Environment,
                        ["environmentValue"] = config.EnvironmentValue(k),
                        ["multiValued"] = k.MultiValued,
                        ["description"] = k.Description,
                        ["values"] = config.Values(k).ToJsonArray(v => new JsonObject { ["value"] = v.Value, ["scope"] = v.Scope }),
                    }),
                    ["unknown"] = unknown.ToJsonArray(v => new JsonObject { ["key"] = v.Key, ["value"] = v.Value, ["scope"] = v.Scope }),
                });
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
