using System.CommandLine;
using System.Runtime.InteropServices;

namespace GitKsplice.Cli;

/// <summary>Parses and runs a command tree with git's conventions: usage errors exit 129 with "error:" lines.</summary>
internal static class CommandLineRunner
{
    /// <summary>Hidden entries for the shell completions and install.sh; never listed in help or the manual.</summary>
    public const string CompleteCommand = "__complete";
    public const string ManualCommand = "__man";

    public static int Invoke(RootCommand root, string[] args, ToolDescription tool)
    {
        // Read before parsing: the words being completed are arbitrary and must not be parsed as our options.
        if (args.Length > 0 && args[0] == CompleteCommand)
            return ToolOutput.Standard.Run(() => Completion.Run(root, tool, args[1..], Console.Out));
        if (args.Length > 0 && args[0] == ManualCommand)
            return ToolOutput.Standard.Run(() => ManualPages.Run(root, tool, args[1..], Console.Out));

        var parsed = root.Parse(args);
        // A root that takes its own words (git kstuff HOST) lets unmatched tokens through for every command;
        // a subcommand that does not take them still refuses them.
        var command = parsed.CommandResult.Command;
        var stray = command != root && command.TreatUnmatchedTokensAsErrors ? parsed.UnmatchedTokens : [];
        if (parsed.Errors.Count > 0 || stray.Count > 0)
        {
            foreach (var error in parsed.Errors)
                Console.Error.WriteLine("error: " + error.Message);
            foreach (var token in stray)
                Console.Error.WriteLine($"error: unknown option or argument '{token}' for '{Invocation(parsed, tool)}'");
            Console.Error.WriteLine($"usage: see '{Invocation(parsed, tool)} -h'");
            return ExitCodes.Usage;
        }
        // SIGINT and SIGTERM cancel the command's token, so it stops its builds and cleans up before
        // exiting, instead of the parser ending the process under it.
        using var interrupt = new CancellationTokenSource();
        void Cancel(PosixSignalContext context)
        {
            context.Cancel = true;
            interrupt.Cancel();
        }
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Cancel);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Cancel);
        var configuration = new InvocationConfiguration { ProcessTerminationTimeout = null };
        var exit = parsed.InvokeAsync(configuration, interrupt.Token).GetAwaiter().GetResult();
        PerformanceTrace.Step($"exit {exit}");
        return exit;
    }

    /// <summary>"git ksplice series set": the command the parse reached, as the user types it.</summary>
    private static string Invocation(ParseResult parsed, ToolDescription tool)
    {
        var names = new List<string>();
        for (var r = parsed.CommandResult; r.Parent is System.CommandLine.Parsing.CommandResult parent; r = parent)
            names.Insert(0, r.Command.Name);
        return string.Join(' ', names.Prepend(tool.GitName));
    }
}
