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
        if (parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors)
                Console.Error.WriteLine("error: " + error.Message);
            Console.Error.WriteLine($"usage: see '{tool.GitName} -h'");
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
        return parsed.InvokeAsync(configuration, interrupt.Token).GetAwaiter().GetResult();
    }
}
