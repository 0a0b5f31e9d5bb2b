using System.CommandLine;
using GitKsplice.Cli;
using GitKsplice.Cli.Commands;

var root = new RootCommand("git kstuff: deliver a kernel build to a target host and merge its configuration, after kstuff(1)");
foreach (var command in KstuffCommands.All())
    root.Subcommands.Add(command);
DeliverCommand.Configure(root);
if (DeliverCommand.IsDelivery(root, args)) return DeliverCommand.Run(args);
return CommandLineRunner.Invoke(root, args, KstuffManual.Tool);
