using System.CommandLine;
using GitKsplice.Git;

namespace GitKsplice.Cli.Commands;

/// <summary>git ksplice as a whole: its command tree, run by the process or by a test in-process.</summary>
public static class KspliceTool
{
    public static RootCommand Root()
    {
        var root = new RootCommand("git ksplice: build rebootless (hot) kernel updates from git commits, after ksplice-create(8)");
        foreach (var command in KspliceCommands.All())
            root.Subcommands.Add(command);
        return root;
    }

    public static int ProcessMain(string[] args)
    {
        // Loading libgit2 ahead costs the invocations that never open a repository its wait at exit, and shell
        // completion runs at every Tab: only the commands that open one load it ahead.
        if (args is [not (CommandLineRunner.CompleteCommand or CommandLineRunner.ManualCommand or "diff-objects" or "config"), ..] &&
            !args.Any(a => a is "-h" or "--help" or "-?" or "--version"))
            KspliceRepository.Preload();
        return CommandLineRunner.Main(KspliceManual.Tool, Root(), args);
    }

    /// <summary>One invocation in this process, with the given streams and working directory.</summary>
    public static int Run(string[] args, CommandStreams streams, string workingDirectory, CancellationToken cancel = default) =>
        CommandLineRunner.Run(KspliceManual.Tool, Root(), args, streams, workingDirectory, cancel);
}
