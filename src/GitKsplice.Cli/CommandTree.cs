using System.CommandLine;
using System.CommandLine.Help;
using System.Text.RegularExpressions;

namespace GitKsplice.Cli;

/// <summary>What a value on the command line names, so completion can offer the right candidates.</summary>
public enum ValueKind { None, Revision, UpdateId, Host, Driver, File, Directory, Choice }

/// <summary>Reading the System.CommandLine tree the way the manual and the completions need it.</summary>
public static class CommandTree
{
    public static IEnumerable<Command> VisibleSubcommands(Command command) =>
        command.Subcommands.Where(c => !c.Hidden);

    /// <summary>The options that apply to a command: its own, then recursive ones of its ancestors (e.g. -h).</summary>
    public static IEnumerable<Option> Options(Command command, IReadOnlyList<Command> ancestors)
    {
        foreach (var o in command.Options.Where(o => !o.Hidden)) yield return o;
        foreach (var o in UsageOptions(command)) yield return o;
        foreach (var a in ancestors)
            foreach (var o in a.Options.Where(o => !o.Hidden && o.Recursive && !command.Options.Contains(o)))
                yield return o;
    }

    /// <summary>Every visible command below the root, depth first, as its path of names.</summary>
    public static IEnumerable<List<string>> Paths(Command command, List<string>? prefix = null)
    {
        foreach (var sub in VisibleSubcommands(command))
        {
            var path = new List<string>(prefix ?? []) { sub.Name };
            yield return path;
            foreach (var deeper in Paths(sub, path)) yield return deeper;
        }
    }

    /// <summary>
    /// The lines of a "usage:" block in a command's description: how a command that reads its own words (git kstuff
    /// [options] host, after the man page's getopt order) states its options, since it cannot declare them.
    /// </summary>
    public static IReadOnlyList<string> UsageLines(Command command)
    {
        if (command.TreatUnmatchedTokensAsErrors || command.Description == null) return [];
        var lines = command.Description.Replace("\r", "").Split('\n');
        var start = Array.FindIndex(lines, l => l.TrimStart().StartsWith("usage:", StringComparison.Ordinal));
        if (start < 0) return [];
        var block = lines[start..].TakeWhile(l => l.Trim().Length > 0).Select(l => l.Trim()).ToList();
        block[0] = block[0]["usage:".Length..].Trim();
        return block;
    }

    /// <summary>Options read from the usage block: bundled flags [-BFIK] and [-x placeholder] or [--long placeholder].</summary>
    public static IEnumerable<Option> UsageOptions(Command command)
    {
        var usage = string.Join(' ', UsageLines(command));
        var seen = new HashSet<string>(command.Options.SelectMany(o => o.Aliases.Prepend(o.Name)));
        foreach (Match m in Regex.Matches(usage, @"\[-([A-Za-z0-9#]{2,})\]"))
            foreach (var flag in m.Groups[1].Value)
                if (seen.Add("-" + flag)) yield return new Option<bool>("-" + flag);
        foreach (Match m in Regex.Matches(usage, @"\[(--?[A-Za-z#][\w-]*) ([^\]\s]+)\]"))
            if (seen.Add(m.Groups[1].Value)) yield return new Option<string[]>(m.Groups[1].Value) { HelpName = m.Groups[2].Value };
    }

    public static IEnumerable<Argument> Arguments(Command command) => command.Arguments.Where(a => !a.Hidden);

    public static bool IsHelpOrVersion(Option option) => option is HelpOption or VersionOption;

    /// <summary>Flags (bool) may take an optional true/false, which no one types: they take no value here.</summary>
    public static bool TakesValue(Option option) => option.ValueType != typeof(bool) && option.Arity.MaximumNumberOfValues > 0;

    /// <summary>Every name of an option, long ones first (--jobs, -j).</summary>
    public static IEnumerable<string> Names(Option option) =>
        new[] { option.Name }.Concat(option.Aliases).Distinct()
            .Where(n => n.StartsWith('-') && n != "-?") // help's DOS-style aliases are noise here
            .OrderBy(n => n.StartsWith("--") ? 0 : 1).ThenBy(n => n, StringComparer.Ordinal);

    /// <summary>The placeholder of an option's or argument's value, as the help shows it.</summary>
    public static string ValueName(Option option) =>
        option.HelpName ?? option.Name.TrimStart('-');

    public static string ValueName(Argument argument) => argument.HelpName ?? argument.Name;

    /// <summary>
    /// What a value names, read from its placeholder so commands need no extra markup: commit/rev/range are
    /// revisions, id an update, host a target host, driver a driver, *file a file, dir and *-tree a directory.
    /// </summary>
    public static ValueKind KindOf(string placeholder, Type valueType)
    {
        if (valueType.IsEnum || Nullable.GetUnderlyingType(valueType)?.IsEnum == true) return ValueKind.Choice;
        var name = placeholder.ToLowerInvariant();
        return name switch
        {
            "commit" or "rev" or "revision" or "range" or "ref" or "commit-ish" or "base" => ValueKind.Revision,
            "id" or "update" or "update-id" => ValueKind.UpdateId,
            "host" or "hostname" or "host[:kname]" or "target" => ValueKind.Host,
            "driver" => ValueKind.Driver,
            "dir" or "directory" or "root" => ValueKind.Directory,
            _ when name.EndsWith("-tree") || name.EndsWith("-dir") => ValueKind.Directory,
            _ when name.EndsWith("file") || name == "path" => ValueKind.File,
            _ => ValueKind.None,
        };
    }

    public static ValueKind KindOf(Option option) => KindOf(ValueName(option), option.ValueType);
    public static ValueKind KindOf(Argument argument) => KindOf(ValueName(argument), argument.ValueType);
}
