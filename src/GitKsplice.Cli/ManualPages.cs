using System.CommandLine;
using System.Reflection;
using System.Text;
using GitKsplice.Reporting;
using GitKsplice.Settings;

namespace GitKsplice.Cli;

/// <summary>
/// Writes the manual pages from the command tree: NAME(1) for the tool and NAME-COMMAND(1) for each subcommand,
/// their synopses and option tables read from the same Command objects the parser runs, so a new option or
/// command is documented the moment it exists. "git-ksplice __man DIR" writes them (install.sh does);
/// "git-ksplice __man --print PAGE" prints one.
/// </summary>
internal static class ManualPages
{
    public static int Run(RootCommand root, ToolDescription tool, string[] args, TextWriter output)
    {
        var pages = Pages(root, tool);
        if (args is ["--print", var name])
        {
            var page = pages.FirstOrDefault(p => p.Name == name || p.Name == name + ".1")
                ?? throw new UserError($"no manual page '{name}'; there are: {string.Join(", ", pages.Select(p => p.Name))}");
            output.Write(page.Text);
            return ExitCodes.Success;
        }
        if (args is not [var dir]) throw new UserError($"usage: {tool.Name} {CommandLineRunner.ManualCommand} DIR | --print PAGE", ExitCodes.Usage);
        Directory.CreateDirectory(dir);
        foreach (var page in pages)
            GitKsplice.AtomicFile.WriteAllText(Path.Combine(dir, page.Name), page.Text);
        output.WriteLine(string.Join("\n", pages.Select(p => Path.Combine(dir, p.Name))));
        return ExitCodes.Success;
    }

    public sealed record Page(string Name, string Text);

    public static IReadOnlyList<Page> Pages(RootCommand root, ToolDescription tool)
    {
        var pages = new List<Page> { new(tool.Name + ".1", MainPage(root, tool)) };
        foreach (var command in CommandTree.VisibleSubcommands(root))
            pages.Add(new($"{tool.Name}-{command.Name}.1", CommandPage(root, command, tool)));
        return pages;
    }

    private static string Version() =>
        typeof(ManualPages).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "";

    private static Roff Header(string name, string summary, ToolDescription tool)
    {
        var roff = new Roff();
        roff.Raw($".TH \"{name.ToUpperInvariant().Replace("-", "\\-")}\" \"1\" \"\" \"{tool.Name} {Version()}\" \"Git Manual\"");
        roff.Raw(".nh").Raw(".ad l");
        roff.Section("NAME").Raw($"{Roff.Escape(name)} \\- {Roff.Escape(summary)}");
        return roff;
    }

    private static string MainPage(RootCommand root, ToolDescription tool)
    {
        var roff = Header(tool.Name, Summary(root.Description, tool), tool);
        roff.Section("SYNOPSIS").Raw(".nf");
        var usage = CommandTree.UsageLines(root);
        foreach (var line in usage) roff.Raw(Roff.Escape(line.StartsWith(tool.GitName) ? line : "    " + line));
        if (root.Action != null && usage.Count == 0) roff.Raw(Synopsis(tool.GitName, root, []));
        foreach (var (path, command) in Walk(root, []))
            roff.Raw(Synopsis(tool.GitName + " " + string.Join(' ', path), command, path));
        roff.Raw(".fi");

        roff.Section("DESCRIPTION").Paragraphs(tool.Description);

        roff.Section("COMMANDS");
        foreach (var (path, command) in Walk(root, []))
        {
            roff.Item($"\\fB{Roff.Escape(string.Join(' ', path))}\\fR{Operands(command)}");
            roff.Paragraphs(Sentence(command.Description) + (path.Count == 1 ? $"\n\nSee {tool.Name}-{path[0]}(1)." : ""), inItem: true);
        }

        if (usage.Count > 0)
        {
            // The command reads its own words: its help text, after the usage block, is the option table.
            var lines = root.Description!.Replace("\r", "").Split('\n');
            var after = Array.FindIndex(lines, l => l.TrimStart().StartsWith("usage:", StringComparison.Ordinal)) + usage.Count;
            roff.Section("OPTIONS").Raw(".nf");
            foreach (var line in lines[after..].SkipWhile(l => l.Trim().Length == 0)) roff.Raw(Roff.Escape(line));
            roff.Raw(".fi");
            foreach (var o in root.Options.Where(o => !o.Hidden)) OptionItem(roff, o);
        }
        else Options(roff, root.Options.Where(o => !o.Hidden).ToList());

        roff.Section("CONFIGURATION").Paragraph(
            $"Every setting is a \\fBgit config\\fR key. A value comes from the command line, else the environment, else git config, else the default. " +
            $"\\fB{Roff.Escape(tool.GitName)} config\\fR lists the keys with their defaults and current values.");
        foreach (var key in tool.ConfigKeys) ConfigKeyItem(roff, key);
        if (tool.ConfigPrefix == "ksplice")
        {
            roff.Paragraph("\\fBgit ksplice setup\\fR sets these keys of git itself (in the repository, or with \\-\\-global for the user):");
            foreach (var key in GitConfigKeys.Notes) ConfigKeyItem(roff, key);
        }

        roff.Section("OUTPUT").Paragraphs(OutputConventions(tool));
        ExitStatus(roff);
        foreach (var (title, body) in tool.ExtraSections) roff.Section(title).Paragraphs(body);
        SeeAlso(roff, tool.SeeAlso.Concat(CommandTree.VisibleSubcommands(root).Select(c => $"{tool.Name}-{c.Name}(1)")));
        return roff.ToString();
    }

    private static string CommandPage(RootCommand root, Command command, ToolDescription tool)
    {
        var name = $"{tool.Name}-{command.Name}";
        var roff = Header(name, Summary(command.Description, tool), tool);
        var all = Walk(command, [command.Name]).Prepend(([command.Name], command)).ToList();
        roff.Section("SYNOPSIS").Raw(".nf");
        foreach (var (path, c) in all)
            if (c.Action != null || c == command) roff.Raw(Synopsis(tool.GitName + " " + string.Join(' ', path), c, path));
        roff.Raw(".fi");

        roff.Section("DESCRIPTION").Paragraphs(Sentence(command.Description));
        if (tool.CommandNotes.TryGetValue(command.Name, out var notes)) roff.Raw(".PP").Paragraphs(notes);

        var arguments = CommandTree.Arguments(command).ToList();
        if (arguments.Count > 0)
        {
            roff.Section("ARGUMENTS");
            foreach (var a in arguments)
            {
                roff.Item($"\\fI<{Roff.Escape(CommandTree.ValueName(a))}>\\fR");
                roff.Paragraphs(Sentence(a.Description), inItem: true);
            }
        }
        Options(roff, CommandTree.Options(command, [root]).ToList());

        var subcommands = all.Skip(1).ToList();
        if (subcommands.Count > 0)
        {
            roff.Section("SUBCOMMANDS");
            foreach (var (path, c) in subcommands)
            {
                var key = string.Join(' ', path);
                roff.Item($"\\fB{Roff.Escape(key)}\\fR{Operands(c)}");
                roff.Paragraphs(Sentence(c.Description), inItem: true);
                if (tool.CommandNotes.TryGetValue(key, out var more)) roff.Raw(".IP").Paragraphs(more, inItem: true);
                foreach (var a in CommandTree.Arguments(c))
                    roff.Raw(".IP").Raw($"\\fI<{Roff.Escape(CommandTree.ValueName(a))}>\\fR: {Roff.Escape(Sentence(a.Description))}");
                var options = c.Options.Where(o => !o.Hidden).ToList();
                if (options.Count > 0)
                {
                    roff.Raw(".RS");
                    foreach (var o in options) OptionItem(roff, o);
                    roff.Raw(".RE");
                }
            }
        }

        var keys = tool.ConfigKeys.Where(k => k.Option != null && CommandTree.Options(command, [root]).Any(o => CommandTree.Names(o).Contains(k.Option))).ToList();
        if (keys.Count > 0)
        {
            roff.Section("CONFIGURATION").Paragraph("The command line wins over these keys:");
            foreach (var key in keys) ConfigKeyItem(roff, key);
        }
        ExitStatus(roff);
        SeeAlso(roff, [$"{tool.Name}(1)", .. tool.SeeAlso]);
        return roff.ToString();
    }

    /// <summary>Subcommands below a command, depth first, with their paths.</summary>
    private static IEnumerable<(List<string> Path, Command Command)> Walk(Command command, List<string> path)
    {
        foreach (var sub in CommandTree.VisibleSubcommands(command))
        {
            var subPath = new List<string>(path) { sub.Name };
            yield return (subPath, sub);
            foreach (var deeper in Walk(sub, subPath)) yield return deeper;
        }
    }

    private static string Synopsis(string invocation, Command command, IReadOnlyList<string> path)
    {
        var options = command.Options.Where(o => !o.Hidden && !CommandTree.IsHelpOrVersion(o)).ToList();
        var text = new StringBuilder($"\\fB{Roff.Escape(invocation)}\\fR");
        if (options.Count > 0) text.Append(" [\\fI<options>\\fR]");
        text.Append(Operands(command));
        return text.ToString();
    }

    private static string Operands(Command command)
    {
        var text = new StringBuilder();
        foreach (var a in CommandTree.Arguments(command))
        {
            var name = $"\\fI<{Roff.Escape(CommandTree.ValueName(a))}>\\fR" + (a.Arity.MaximumNumberOfValues > 1 ? "..." : "");
            text.Append(a.Arity.MinimumNumberOfValues == 0 ? $" [{name}]" : " " + name);
        }
        return text.ToString();
    }

    private static void Options(Roff roff, IReadOnlyList<Option> options)
    {
        if (options.Count == 0) return;
        roff.Section("OPTIONS");
        foreach (var o in options) OptionItem(roff, o);
    }

    private static void OptionItem(Roff roff, Option option)
    {
        var value = CommandTree.TakesValue(option) ? $" \\fI<{Roff.Escape(CommandTree.ValueName(option))}>\\fR" : "";
        roff.Item(string.Join(", ", CommandTree.Names(option).Select(n => $"\\fB{Roff.Escape(n)}\\fR{value}")));
        var text = Sentence(option.Description);
        if (option.Arity.MaximumNumberOfValues > 1 && CommandTree.TakesValue(option) && !text.Contains("repeat", StringComparison.OrdinalIgnoreCase))
            text += " May be given more than once.";
        if (option.HasDefaultValue && option.GetDefaultValue() is { } d && d is not false && !text.Contains("default", StringComparison.OrdinalIgnoreCase))
            text += $" Default: {d}.";
        roff.Paragraphs(text, inItem: true);
    }

    private static void ConfigKeyItem(Roff roff, ConfigKey key)
    {
        roff.Item($"\\fB{Roff.Escape(key.Name)}\\fR");
        var text = key.Description + $" Default: {key.Default}." +
            (key.Environment != null ? $" ${key.Environment} in the environment wins over the key." : "") +
            (key.Option != null ? $" The command line's {key.Option} wins over {(key.Environment != null ? "both" : "the key")}." : "") +
            (key.MultiValued ? " May be set more than once." : "");
        roff.Paragraphs(text, inItem: true);
    }

    private static void ExitStatus(Roff roff)
    {
        roff.Section("EXIT STATUS");
        foreach (var (code, meaning) in ExitCodes.Documented)
        {
            roff.Item($"\\fB{code}\\fR");
            roff.Paragraphs(meaning, inItem: true);
        }
    }

    private static void SeeAlso(Roff roff, IEnumerable<string> pages)
    {
        roff.Section("SEE ALSO");
        roff.Raw(string.Join(",\n", pages.Distinct().Select(p =>
        {
            var open = p.IndexOf('(');
            return open > 0 ? $"\\fB{Roff.Escape(p[..open])}\\fR{p[open..]}" : Roff.Escape(p);
        })));
    }

    private static string OutputConventions(ToolDescription tool) => $"""
        Porcelain output is for people: colour only when standard output is a terminal (git config color.{tool.ConfigPrefix}, else color.ui; NO_COLOR in the environment turns it off), progress on standard error only when it is a terminal, and -q to print only errors.

        Every command that reads state takes --json and then prints one JSON document on standard output whose keys are stable: scripts should use it rather than the porcelain text.

        Problems are reported on standard error as git reports them: "warning: ..." for something to know, "error: ..." for a usage problem, and one "fatal: ..." line naming the thing when a command cannot go on. Set GIT_KSPLICE_TRACE=1 to see the stack trace of an unexpected error.
        """;

    /// <summary>Help texts are phrases; the manual's paragraphs end with a full stop.</summary>
    private static string Sentence(string? text)
    {
        text = (text ?? "").Trim();
        return text.Length == 0 || text.EndsWith('.') || text.EndsWith(':') ? text : text + ".";
    }

    /// <summary>The NAME line: the description's first sentence, without the "git x:" prefix the help shows.</summary>
    private static string Summary(string? description, ToolDescription tool)
    {
        var text = (description ?? "").Split('\n')[0].Trim();
        var prefix = tool.GitName + ": ";
        if (text.StartsWith(prefix, StringComparison.Ordinal)) text = text[prefix.Length..];
        return text.Length > 0 ? char.ToLowerInvariant(text[0]) + text[1..] : tool.GitName;
    }
}

/// <summary>A small man(7) writer: escapes text, one request per line.</summary>
internal sealed class Roff
{
    private readonly StringBuilder _text = new();

    public Roff Raw(string line) { _text.Append(line).Append('\n'); return this; }
    public Roff Section(string title) => Raw(".SH \"" + title + "\"");
    public Roff Item(string tag) => Raw(".TP").Raw(tag);

    public Roff Paragraph(string escapedText) => Raw(".PP").Raw(escapedText);

    /// <summary>
    /// Plain text, blank lines between paragraphs; lines starting with two spaces are kept as an example.
    /// Inside a .TP item the paragraphs stay indented under its tag.
    /// </summary>
    public Roff Paragraphs(string text, bool inItem = false)
    {
        var blocks = text.Replace("\r", "").Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        var first = true;
        foreach (var block in blocks)
        {
            var lines = block.Split('\n');
            if (lines.All(l => l.StartsWith("  ") || l.Length == 0))
            {
                Raw(inItem ? ".IP" : ".PP").Raw(".RS 4").Raw(".nf");
                foreach (var l in lines) Raw(Escape(l[Math.Min(2, l.Length)..]));
                Raw(".fi").Raw(".RE");
            }
            else
            {
                if (!first) Raw(inItem ? ".IP" : ".PP");
                Raw(Escape(string.Join(' ', lines.Select(l => l.Trim()))));
            }
            first = false;
        }
        return this;
    }

    /// <summary>Backslashes, hyphens and line-leading dots or quotes would be read as roff.</summary>
    public static string Escape(string text)
    {
        var escaped = text.Replace("\\", "\\e").Replace("-", "\\-");
        return escaped.StartsWith('.') || escaped.StartsWith('\'') ? "\\&" + escaped : escaped;
    }

    public override string ToString() => _text.ToString();
}
