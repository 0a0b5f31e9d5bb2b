using System.CommandLine;
using System.CommandLine.Parsing;
using GitKsplice.Reporting;

namespace GitKsplice.Cli.Commands;

/// <summary>
/// The man page's single-letter options mean "last one wins" (-B and -R defeat what came before), which needs
/// their order: the words are taken back from the parsed tokens, in order, for KstuffOptionParser.
/// </summary>
internal static class ManPageOptions
{
    public static Option<bool> Flag(string name, string description) => new(name) { Description = description };

    public static Option<string[]> WithArgument(string name, string helpName, string description) =>
        new(name) { Description = description, HelpName = helpName, AllowMultipleArgumentsPerToken = false };

    /// <summary>
    /// The root command lets unknown words through (they are kstuff's own options and host), so a subcommand
    /// refuses them itself.
    /// </summary>
    public static void RejectUnknown(ParseResult parse)
    {
        if (parse.UnmatchedTokens.Count > 0)
            throw new UserError($"{parse.CommandResult.Command.Name}: unknown option or argument '{parse.UnmatchedTokens[0]}'", ExitCodes.Usage);
    }

    public static List<string> Words(ParseResult parse, IEnumerable<Option> options)
    {
        var names = options.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        var takesArgument = options.Where(o => o.ValueType != typeof(bool)).Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        var words = new List<string>();
        var tokens = parse.Tokens;
        for (int i = 0; i < tokens.Count; i++)
        {
            if (tokens[i].Type != TokenType.Option || !names.Contains(tokens[i].Value)) continue;
            words.Add(tokens[i].Value);
            if (takesArgument.Contains(tokens[i].Value) && i + 1 < tokens.Count) words.Add(tokens[++i].Value);
        }
        return words;
    }
}
