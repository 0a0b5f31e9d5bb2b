using System.CommandLine;
using System.Text.Json.Nodes;
using GitKsplice.Git;

namespace GitKsplice.Cli;

/// <summary>
/// "git ksplice config" / "git kstuff config": every documented key with its default and its current value and
/// scope, as git config sees them from here (so includes and GIT_CONFIG_* apply); an unknown key under our
/// prefix is pointed out as a likely typo.
/// </summary>
internal static class ConfigCommand
{
    public static Command Build(ToolDescription tool)
    {
        var json = CommonOptions.Json();
        var command = new Command("config", $"List the {tool.ConfigPrefix}.* git config keys with their defaults and current values") { json };
        command.SetAction(parse => ToolOutput.Standard.Run(() =>
        {
            var keys = tool.ConfigKeys;
            var set = CurrentValues(keys);
            var prefix = tool.ConfigPrefix + ".";
            var unknown = set.Where(v => v.Key.StartsWith(prefix, StringComparison.Ordinal)
                && !keys.Any(k => k.Name.Equals(v.Key, StringComparison.OrdinalIgnoreCase))).ToList();
            if (parse.GetValue(json))
            {
                CommonOptions.WriteJson(new JsonObject
                {
                    ["keys"] = keys.ToJsonArray(k => new JsonObject
                    {
                        ["key"] = k.Name,
                        ["default"] = k.Default,
                        ["option"] = k.Option,
                        ["multiValued"] = k.MultiValued,
                        ["description"] = k.Description,
                        ["values"] = Of(set, k.Name).ToJsonArray(v => new JsonObject { ["value"] = v.Value, ["scope"] = v.Scope }),
                    }),
                    ["unknown"] = unknown.ToJsonArray(v => new JsonObject { ["key"] = v.Key, ["value"] = v.Value, ["scope"] = v.Scope }),
                });
                return ExitCodes.Success;
            }
            var colour = Colour.ForStdout(tool.ConfigPrefix);
            var width = keys.Max(k => k.Name.Length);
            foreach (var k in keys)
            {
                var values = Of(set, k.Name);
                if (values.Count == 0)
                    Console.WriteLine($"{k.Name.PadRight(width)}  {colour.Dim($"(default: {k.Default})")}");
                foreach (var v in values)
                    Console.WriteLine($"{k.Name.PadRight(width)}  {colour.Name(v.Value)}  {colour.Dim($"({v.Scope})")}");
            }
            foreach (var v in unknown)
                ToolOutput.Standard.Warning($"unknown key {v.Key} (set in {v.Scope} config); see '{tool.GitName} config' for the known keys");
            return ExitCodes.Success;
        }));
        return command;
    }

    private sealed record Setting(string Key, string Value, string Scope);

    private static List<Setting> Of(List<Setting> set, string key) =>
        set.Where(v => v.Key.Equals(key, StringComparison.OrdinalIgnoreCase)).ToList();

    /// <summary>Every value of our keys, in git's order, with the scope it comes from.</summary>
    private static List<Setting> CurrentValues(IReadOnlyList<ConfigKey> keys)
    {
        var sections = keys.Select(k => k.Name[..k.Name.IndexOf('.')]).Distinct()
            .Select(s => System.Text.RegularExpressions.Regex.Escape(s));
        var result = new GitCli(Environment.CurrentDirectory).TryRun(
            ["config", "-z", "--show-scope", "--get-regexp", $"^({string.Join('|', sections)})\\."]);
        if (result.ExitCode is not (0 or 1)) throw new UserError("git config: " + result.StdErr.Trim());
        var values = new List<Setting>();
        var fields = result.StdOut.Split('\0');
        // -z --show-scope: "scope\0key\nvalue\0" per entry.
        for (var i = 0; i + 1 < fields.Length; i += 2)
        {
            var entry = fields[i + 1];
            var nl = entry.IndexOf('\n');
            values.Add(new Setting(nl < 0 ? entry : entry[..nl], nl < 0 ? "true" : entry[(nl + 1)..], fields[i]));
        }
        return values;
    }
}
