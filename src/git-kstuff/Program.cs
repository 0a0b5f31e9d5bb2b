return GitKsplice.Cli.Commands.KstuffTool.ProcessMain(args);
