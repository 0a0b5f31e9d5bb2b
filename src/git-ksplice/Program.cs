using System.CommandLine;
using GitKsplice.Cli;
using GitKsplice.Cli.Commands;
using GitKsplice.Git;

// Loading libgit2 ahead costs the invocations that never open a repository its wait at exit, and shell
// completion runs at every Tab: only the commands that open one load it ahead.
if (args is [not (CommandLineRunner.CompleteCommand or CommandLineRunner.ManualCommand or "diff-objects" or "config"), ..] &&
    !args.Any(a => a is "-h" or "--help" or "-?" or "--version"))
    KspliceRepository.Preload();

var root = new RootCommand("git ksplice: build rebootless (hot) kernel updates from git commits, after ksplice-create(8)");
foreach (var command in KspliceCommands.All())
    root.Subcommands.Add(command);
return CommandLineRunner.Invoke(root, Verbosity.Fold(args), KspliceManual.Tool);
