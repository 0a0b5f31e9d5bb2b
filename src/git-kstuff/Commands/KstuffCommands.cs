using System.CommandLine;

namespace GitKsplice.Cli.Commands;

/// <summary>Every subcommand of git kstuff, one file each.</summary>
internal static class KstuffCommands
{
    public static IEnumerable<Command> All() =>
    [
        BundleCommand.Build(),
        BundlesCommand.Build(),
        MergeCommand.Build(),
        LogCommand.Build(),
        ConfigCommand.Build(KstuffManual.Tool),
    ];
}
