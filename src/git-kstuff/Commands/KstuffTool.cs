using System.CommandLine;

namespace GitKsplice.Cli.Commands;

/// <summary>git kstuff as a whole: its command tree, run by the process or by a test in-process.</summary>
public static class KstuffTool
{
    public static RootCommand Root()
    {
        var root = new RootCommand("git kstuff: deliver a kernel build to a target host and merge its configuration, after kstuff(1)");
        foreach (var command in KstuffCommands.All())
            root.Subcommands.Add(command);
        DeliverCommand.Configure(root);
        return root;
    }

    public static int ProcessMain(string[] args)
    {
        var root = Root();
        return CommandLineRunner.Main(KstuffManual.Tool, root, args, words => DeliverCommand.Unparsed(root, words));
    }

    /// <summary>One invocation in this process, with the given streams and working directory.</summary>
    public static int Run(string[] args, CommandStreams streams, string workingDirectory, CancellationToken cancel = default)
    {
        var root = Root();
        return CommandLineRunner.Run(KstuffManual.Tool, root, args, streams, workingDirectory, cancel, words => DeliverCommand.Unparsed(root, words));
    }
}
