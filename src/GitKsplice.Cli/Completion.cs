using System.CommandLine;
using GitKsplice.Git;
using GitKsplice.Reporting;

namespace GitKsplice.Cli;

/// <summary>
/// The engine behind the bash, zsh and fish completions: "git-ksplice __complete [--] WORD... CURRENT" prints one
/// candidate per line for the word being typed (CURRENT, possibly empty), given the words before it. Lines
/// ":files" and ":dirs" ask the shell to add its own file or directory completion. Candidates come from the
/// command tree (subcommands, options) and from the repository (refs, update ids), ~/.ssh/config (hosts) or
/// the tool (driver names), so the shell scripts never change when commands are added.
/// "__complete --commands" lists every command path.
/// </summary>
internal static class Completion
{
    public static int Run(RootCommand root, CommandContext context, string[] args)
    {
        var output = context.Out;
        if (args is ["--commands"])
        {
            // Every command path, one per line: what the tests and scripts walk.
            foreach (var path in CommandTree.Paths(root)) output.WriteLine(string.Join(' ', path));
            return ExitCodes.Success;
        }
        var words = args.Length > 0 && args[0] == "--" ? args[1..] : args;
        var current = words.Length > 0 ? words[^1] : "";
        foreach (var line in Candidates(root, context.Tool, context.WorkingDirectory, words.Length > 0 ? words[..^1] : [], current).Distinct())
            output.WriteLine(line);
        return ExitCodes.Success;
    }

    public static IEnumerable<string> Candidates(RootCommand root, ToolDescription tool, string workingDirectory, IReadOnlyList<string> before, string current)
    {
        Command command = root;
        var ancestors = new List<Command>();
        Option? pendingValue = null;
        var positional = new List<string>();
        var afterDashes = false;

        foreach (var word in before)
        {
            if (pendingValue != null) { pendingValue = null; continue; }
            if (!afterDashes && word == "--") { afterDashes = true; continue; }
            if (!afterDashes && word.StartsWith('-') && word.Length > 1)
            {
                var option = FindOption(command, ancestors, word.Split('=')[0]);
                if (option != null && CommandTree.TakesValue(option) && !word.Contains('=') && !IsAttachedShortValue(option, word))
                    pendingValue = option;
                continue;
            }
            var sub = positional.Count == 0 && !afterDashes
                ? CommandTree.VisibleSubcommands(command).FirstOrDefault(c => c.Name == word || c.Aliases.Contains(word))
                : null;
            if (sub != null) { ancestors.Insert(0, command); command = sub; continue; }
            positional.Add(word);
        }

        if (pendingValue != null)
            return Values(tool, workingDirectory, CommandTree.KindOf(pendingValue), pendingValue, current, positional);

        if (!afterDashes && current.StartsWith('-'))
        {
            var eq = current.IndexOf('=');
            if (eq > 0 && FindOption(command, ancestors, current[..eq]) is { } withValue && CommandTree.TakesValue(withValue))
                return Values(tool, workingDirectory, CommandTree.KindOf(withValue), withValue, current[(eq + 1)..], positional)
                    .Select(v => v.StartsWith(':') ? v : current[..(eq + 1)] + v);
            return CommandTree.Options(command, ancestors)
                .SelectMany(CommandTree.Names)
                .Where(n => n.StartsWith(current, StringComparison.Ordinal));
        }

        var candidates = new List<string>();
        if (positional.Count == 0 && !afterDashes)
            candidates.AddRange(CommandTree.VisibleSubcommands(command).Select(c => c.Name).Where(n => n.StartsWith(current, StringComparison.Ordinal)));
        if (ArgumentAt(command, positional.Count) is { } argument)
            candidates.AddRange(Values(tool, workingDirectory, CommandTree.KindOf(argument), argument, current, positional));
        else if (command == root && tool.OperandKind != ValueKind.None && root.Action != null)
            candidates.AddRange(Values(tool, workingDirectory, tool.OperandKind, null, current, positional));
        return candidates;
    }

    /// <summary>-j4: a short option with its value attached.</summary>
    private static bool IsAttachedShortValue(Option option, string word) =>
        !word.StartsWith("--") && word.Length > 2 && CommandTree.Names(option).Contains(word[..2]);

    private static Option? FindOption(Command command, IReadOnlyList<Command> ancestors, string name)
    {
        var options = CommandTree.Options(command, ancestors).ToList();
        return options.FirstOrDefault(o => CommandTree.Names(o).Contains(name))
            ?? (name.Length > 2 && !name.StartsWith("--") ? options.FirstOrDefault(o => CommandTree.Names(o).Contains(name[..2])) : null);
    }

    /// <summary>The argument a positional word fills, counting arities (the last one may take many words).</summary>
    private static Argument? ArgumentAt(Command command, int index)
    {
        foreach (var argument in CommandTree.Arguments(command))
        {
            var max = argument.Arity.MaximumNumberOfValues;
            if (index < max) return argument;
            index -= max;
        }
        return null;
    }

    private static IEnumerable<string> Values(ToolDescription tool, string workingDirectory, ValueKind kind, Symbol? symbol, string current, IReadOnlyList<string> positional)
    {
        IEnumerable<string> values = kind switch
        {
            ValueKind.Revision => Revisions(workingDirectory, current),
            ValueKind.UpdateId => UpdateIds(workingDirectory),
            ValueKind.Host => SshHosts.FromConfig(Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".ssh", "config")),
            ValueKind.File => [":files"],
            ValueKind.Directory => [":dirs"],
            ValueKind.Choice when symbol is Option o => o.GetCompletions(System.CommandLine.Completions.CompletionContext.Empty).Select(c => c.Label),
            ValueKind.Choice when symbol is Argument a => a.GetCompletions(System.CommandLine.Completions.CompletionContext.Empty).Select(c => c.Label),
            _ => tool.Values?.Invoke(kind, workingDirectory, positional) ?? [],
        };
        return values.Where(v => v.StartsWith(':') || v.StartsWith(current, StringComparison.Ordinal));
    }

    /// <summary>Branches, tags, remote branches and our refs; after "A.." the candidates for B keep the "A..".</summary>
    private static IEnumerable<string> Revisions(string workingDirectory, string current)
    {
        var triple = current.IndexOf("...", StringComparison.Ordinal);
        var dots = current.IndexOf("..", StringComparison.Ordinal);
        var prefix = triple >= 0 ? current[..(triple + 3)] : dots >= 0 ? current[..(dots + 2)] : "";
        var result = new GitCli(workingDirectory).TryRun(
            ["for-each-ref", "--format=%(refname:short)", "refs/heads", "refs/tags", "refs/remotes", "refs/ksplice/pre"]);
        if (!result.Succeeded) return [];
        var refs = result.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries).Prepend("HEAD");
        return refs.Select(r => prefix + r);
    }

    private static IEnumerable<string> UpdateIds(string workingDirectory)
    {
        var result = new GitCli(workingDirectory).TryRun(
            ["for-each-ref", "--format=%(refname)", Updates.UpdateStore.RefPrefix]);
        return result.Succeeded
            ? result.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(r => r[Updates.UpdateStore.RefPrefix.Length..])
            : [];
    }
}
