return GitKsplice.Cli.Commands.KspliceTool.ProcessMain(args);
