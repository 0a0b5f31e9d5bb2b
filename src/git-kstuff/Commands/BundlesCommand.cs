using System.CommandLine;
using System.Text.Json.Nodes;
using GitKsplice.Git;
using GitKsplice.Kstuff.Bundles;

namespace GitKsplice.Cli.Commands;

/// <summary>git kstuff bundles: the bundles noted in refs/notes/kstuff, oldest first.</summary>
internal static class BundlesCommand
{
    public static Command Build()
    {
        var json = CommonOptions.Json();
        var command = new Command("bundles", "List the bundles recorded in refs/notes/kstuff") { json };
        command.SetAction(parse => ToolOutput.Standard.Run(() =>
        {
            ManPageOptions.RejectUnknown(parse);
            using var stdout = new BufferedStdout();
            using var repository = KspliceRepository.Discover(Environment.CurrentDirectory);
            var bundles = new BundleNotes(repository).All();
            if (parse.GetValue(json))
            {
                CommonOptions.WriteJson(bundles.ToJsonArray(b => new JsonObject { ["commit"] = b.Commit, ["state"] = State(b.State), ["bundle"] = ToJson(b.Note) }));
                return ExitCodes.Success;
            }
            var colour = Colour.ForStdout(repository.Config, ConfigKeys.ColorKstuff);
            foreach (var b in bundles)
                Console.WriteLine($"{colour.Name(b.Commit[..12])}  {b.Note.Time.UtcDateTime:yyyy-MM-dd HH:mm}  {Painted(colour, b.State)}  " +
                    $"{b.Note.Drivers.Count,4} drivers{(b.Note.Idtools ? " +idtools" : "         ")}  {b.Note.Size,10}  {b.Note.Path}");
            return ExitCodes.Success;
        }));
        return command;
    }

    private static string Painted(Colour colour, BundleFileState state) => state switch
    {
        BundleFileState.Present => colour.Good(State(state).PadRight(8)),
        BundleFileState.Missing => colour.Bad(State(state).PadRight(8)),
        _ => colour.Warn(State(state).PadRight(8)),
    };

    private static string State(BundleFileState state) => state switch
    {
        BundleFileState.Present => "present",
        BundleFileState.Missing => "missing",
        _ => "replaced",
    };

    public static JsonObject ToJson(BundleNote note) => new()
    {
        ["path"] = note.Path,
        ["sha256"] = note.Sha256,
        ["size"] = note.Size,
        ["time"] = note.Time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'"),
        ["root"] = note.Root,
        ["mach"] = note.Mach,
        ["idtools"] = note.Idtools,
        ["files"] = note.Files,
        ["drivers"] = note.Drivers.ToJsonArray(),
    };
}
