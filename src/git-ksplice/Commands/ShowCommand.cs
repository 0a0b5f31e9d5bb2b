using System.CommandLine;
using System.Text.Json.Nodes;
using GitKsplice.Git;
using GitKsplice.Updates;

namespace GitKsplice.Cli.Commands;

/// <summary>git ksplice show: one update in detail, like ksplice-view.</summary>
internal static class ShowCommand
{
    public static Command Build()
    {
        var id = new Argument<string>("id") { Description = "The update's id" };
        var json = CommonOptions.Json();
        var command = new Command("show", "Show one update: its source, commits and changed functions") { id, json };
        command.SetAction(parse => ToolOutput.Standard.Run(() =>
        {
            using var stdout = new BufferedStdout();
            using var repository = KspliceRepository.Discover(Environment.CurrentDirectory);
            var store = new UpdateStore(repository).BeforeReading(ToolOutput.Standard);
            var update = store.Get(UpdateId.Parse(parse.GetValue(id)!));
            var tried = TrialRecord.FromNote(update.Id, store.Notes.Read(update.Post));
            if (parse.GetValue(json))
            {
                var node = update.Manifest != null ? JsonNode.Parse(update.Manifest.ToJson())!.AsObject() : new JsonObject { ["id"] = update.Id, ["post"] = update.Post };
                node["verdict"] = update.Note?.Verdict;
                node["tarball"] = update.Note?.Tarball;
                node["tried"] = tried == null ? null : new JsonObject
                {
                    ["when"] = tried.When.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture),
                    ["result"] = tried.Result,
                    ["seconds"] = tried.Seconds,
                    ["kernel"] = tried.Release,
                    ["failure"] = tried.Failure,
                };
                CommonOptions.WriteJson(node);
                return ExitCodes.Success;
            }
            var colour = Colour.ForStdout(repository.Config, ConfigKeys.ColorKsplice);
            Console.WriteLine(colour.Name($"update {update.Id}"));
            Console.WriteLine($"post commit: {update.Post}");
            if (update.Note is { } n)
            {
                Console.WriteLine($"pre commit:  {n.Pre}");
                Console.WriteLine($"source:      {n.Source}");
                Console.WriteLine($"verdict:     {colour.Verdict(n.Verdict)}");
                if (n.Tarball != null) Console.WriteLine($"tarball:     {n.Tarball}{(File.Exists(n.Tarball) ? "" : " (no longer there)")}");
            }
            if (tried != null)
                Console.WriteLine($"tried:       {(tried.Result == "passed" ? colour.Good(tried.Result) : colour.Bad(tried.Result))} {tried.When.ToUniversalTime():yyyy-MM-dd HH:mm}Z " +
                    $"in {tried.Seconds:0.0} s on {tried.Release}{(tried.Failure != null ? ": " + tried.Failure : "")}");
            if (update.Manifest is { } m)
            {
                Console.WriteLine($"compiler:    {m.Compiler}");
                Console.WriteLine($"build:       {m.BuildCommand} ({m.CompilerFlags})");
                foreach (var o in m.Objects)
                {
                    Console.WriteLine($"\n  {o.Path}");
                    foreach (var f in o.Changed) Console.WriteLine($"    {colour.Warn("changed ")} {f}");
                    foreach (var f in o.New) Console.WriteLine($"    {colour.Good("new     ")} {f}");
                    foreach (var f in o.Removed) Console.WriteLine($"    {colour.Bad("removed ")} {f}");
                    foreach (var u in o.Unsafe) Console.WriteLine($"    {colour.Bad("unsafe  ")} {u.Symbol}: {u.Reason}");
                    foreach (var l in o.LineOnly) Console.WriteLine($"    line-only {l.Symbol}");
                }
                foreach (var mod in m.Modules) Console.WriteLine($"\n  module {mod.Path}");
            }
            return ExitCodes.Success;
        }));
        return command;
    }
}
