using System.CommandLine;
using GitKsplice.Git;
using GitKsplice.Kstuff.Bundles;
using GitKsplice.Reporting;

namespace GitKsplice.Cli.Commands;

/// <summary>git kstuff bundles: the bundles noted in refs/notes/kstuff, oldest first.</summary>
internal static class BundlesCommand
{
    public static Command Build()
    {
        var json = CommonOptions.Json();
        var command = new Command("bundles", "List the bundles recorded in refs/notes/kstuff") { json };
        command.Runs((context, parse) =>
        {
            ManPageOptions.RejectUnknown(parse);
            var repository = context.Repository;
            var bundles = new BundleNotes(repository).All();
            if (parse.GetValue(json))
            {
                context.WriteJson(bundles.Select(b => new NotedBundleJson(b.Commit, b.State, BundleJson.Of(b.Note))).ToList(), KstuffJsonContext.Relaxed.IReadOnlyListNotedBundleJson);
                return ExitCodes.Success;
            }
            var colour = context.Colour;
            foreach (var b in bundles)
                context.Out.WriteLine($"{colour.Name(b.Commit[..12])}  {b.Note.Time.UtcDateTime:yyyy-MM-dd HH:mm}  {Painted(colour, b.State)}  " +
                    $"{b.Note.Drivers.Count,4} drivers{(b.Note.Idtools ? " +idtools" : "         ")}  {b.Note.Size,10}  {b.Note.Path}");
            return ExitCodes.Success;
        });
        return command;
    }

    private static string Painted(Colour colour, BundleFileState state)
    {
        var name = BundleNames.States[state].PadRight(8);
        return state switch
        {
            BundleFileState.Present => colour.Good(name),
            BundleFileState.Missing => colour.Bad(name),
            _ => colour.Warn(name),
        };
    }
}
