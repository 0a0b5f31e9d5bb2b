using System.CommandLine;
using GitKsplice.Settings;

namespace GitKsplice.Cli;

/// <summary>
/// What one executable says about itself beyond its command tree: the manual's prose and the completion of
/// values that only it knows. Everything else (commands, options, arguments) is read from the tree itself, so
/// the manual pages and completions cannot drift from the command line.
/// </summary>
public sealed class ToolDescription
{
    /// <summary>The executable's name, e.g. git-ksplice; the manual page is NAME(1).</summary>
    public required string Name { get; init; }
    /// <summary>The prefix of its git config keys and notes ref, e.g. ksplice.</summary>
    public required string ConfigPrefix { get; init; }
    public required IReadOnlyList<ConfigKey> ConfigKeys { get; init; }
    /// <summary>The key of its porcelain output's colour (color.ksplice).</summary>
    public required ConfigKey<ColourMode?> ColourKey { get; init; }
    /// <summary>The DESCRIPTION section of the main page, paragraphs separated by blank lines.</summary>
    public required string Description { get; init; }
    /// <summary>Extra paragraphs for a command's page, keyed by its path without the tool ("create", "series set").</summary>
    public IReadOnlyDictionary<string, string> CommandNotes { get; init; } = new Dictionary<string, string>();
    /// <summary>Sections appended to the main page, in order (title, body).</summary>
    public IReadOnlyList<(string Title, string Body)> ExtraSections { get; init; } = [];
    public IReadOnlyList<string> SeeAlso { get; init; } = [];
    /// <summary>
    /// Candidates for value kinds that need this tool's knowledge (e.g. driver names), given the kind, the working
    /// directory of the command line being completed and its positional words so far.
    /// </summary>
    public Func<ValueKind, string, IReadOnlyList<string>, IEnumerable<string>>? Values { get; init; }

    /// <summary>What the root command's own operands name when it runs without a subcommand (git kstuff HOST).</summary>
    public ValueKind OperandKind { get; init; } = ValueKind.None;

    /// <summary>"git ksplice" for "git-ksplice".</summary>
    public string GitName => Name.Replace('-', ' ');
}
