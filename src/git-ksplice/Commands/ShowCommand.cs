using System.CommandLine;
using System.Text.Json.Nodes;
using GitKsplice.Git;
using GitKsplice.Json;
using GitKsplice.Live;
using GitKsplice.Reporting;
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
        command.Runs((context, parse) =>
        {
            var repository = context.Repository;
            var store = new UpdateStore(repository).BeforeReading(context.Output);
            var update = store.Get(UpdateId.Parse(parse.GetValue(id)!));
            var noteText = store.Notes.Read(update.Post);
            var tried = TrialRecord.FromNote(update.Id, noteText);
            var live = LiveRecord.LiveOn(update.Id, noteText);
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
                node["live"] = live.ToJsonArray(r => new JsonObject
                {
                    ["host"] = r.Host,
                    ["kernel"] = r.Release,
                    ["when"] = WireTime.Format(r.When),
                    ["result"] = LiveRecord.Results[r.Result],
                });
                context.WriteJson(node);
                return ExitCodes.Success;
            }
            var colour = context.Colour;
            context.Out.WriteLine(colour.Name($"update {update.Id}"));
            context.Out.WriteLine($"post commit: {update.Post}");
            if (update.Note is { } n)
            {
                context.Out.WriteLine($"pre commit:  {n.Pre}");
                context.Out.WriteLine($"source:      {n.Source}");
                context.Out.WriteLine($"verdict:     {colour.Verdict(n.Verdict)}");
                if (n.Tarball != null) context.Out.WriteLine($"tarball:     {n.Tarball}{(File.Exists(n.Tarball) ? "" : " (no longer there)")}");
            }
            if (tried != null)
                context.Out.WriteLine($"tried:       {(tried.Result == "passed" ? colour.Good(tried.Result) : colour.Bad(tried.Result))} {tried.When.ToUniversalTime():yyyy-MM-dd HH:mm}Z " +
                    $"in {tried.Seconds:0.0} s on {tried.Release}{(tried.Failure != null ? ": " + tried.Failure : "")}");
            foreach (var r in live)
                context.Out.WriteLine($"live on:     {r.Host} ({r.Release}) since {r.When.ToUniversalTime():yyyy-MM-dd HH:mm}Z{(r.Result != LiveResult.Applied ? $", {LiveRecord.Results[r.Result]}" : "")}");
            if (update.Manifest is { } m)
            {
                context.Out.WriteLine($"compiler:    {m.Compiler}");
                context.Out.WriteLine($"build:       {m.BuildCommand} ({m.CompilerFlags})");
                foreach (var o in m.Objects)
                {
                    context.Out.WriteLine($"\n  {o.Path}");
                    foreach (var f in o.Changed) context.Out.WriteLine($"    {colour.Warn("changed ")} {f}");
                    foreach (var f in o.New) context.Out.WriteLine($"    {colour.Good("new     ")} {f}");
                    foreach (var f in o.Removed) context.Out.WriteLine($"    {colour.Bad("removed ")} {f}");
                    foreach (var u in o.Unsafe) context.Out.WriteLine($"    {colour.Bad("unsafe  ")} {u.Symbol}: {u.Reason}");
                    foreach (var l in o.LineOnly) context.Out.WriteLine($"    line-only {l.Symbol}");
                }
                foreach (var mod in m.Modules) context.Out.WriteLine($"\n  module {mod.Path}");
            }
            return ExitCodes.Success;
        });
        return command;
    }
}
