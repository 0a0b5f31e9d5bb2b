using System.CommandLine;
using GitKsplice.Cli;
using GitKsplice.Cli.Commands;
using GitKsplice.Git;

KspliceRepository.Preload(); // every command but --help and --version opens the repository

var root = new RootCommand("git ksplice: build rebootless (hot) kernel updates from git commits, after ksplice-create(8)");
foreach (var command in KspliceCommands.All())
    root.Subcommands.Add(command);
return CommandLineRunner.Invoke(root, Verbosity.Fold(args), KspliceManual.Tool);
