using System.CommandLine;

namespace GitKsplice.Cli.Commands;

/// <summary>Every subcommand of git ksplice, one file each.</summary>
internal static class KspliceCommands
{
    public static IEnumerable<Command> All() =>
    [
        CreateCommand.Build(),
        ListCommand.Build(),
        ShowCommand.Build(),
        TryCommand.Build(),
        ApplyCommand.Build(),
        UndoCommand.Build(),
        ViewCommand.Build(),
        SeriesCommand.Build(),
        DiffObjectsCommand.Build(),
        StatusCommand.Build(),
        GcCommand.Build(),
        HooksCommand.Build(),
        HookCommand.Build(),
        SetupCommand.Build(),
        ConfigCommand.Build(KspliceManual.Tool),
    ];
}
