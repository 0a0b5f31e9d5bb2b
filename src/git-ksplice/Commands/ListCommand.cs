using System.CommandLine;
using System.Text.Json.Nodes;
using GitKsplice.Git;
using GitKsplice.Live;
using GitKsplice.Reporting;
using GitKsplice.Updates;

namespace GitKsplice.Cli.Commands;

/// <summary>git ksplice list: every recorded update, one line each.</summary>
internal static class ListCommand
{
    public static Command Build()
    {
        var json = CommonOptions.Json();
        var command = new Command("list", "List the recorded updates") { json };
        command.Runs((context, parse) =>
        {
            var repository = context.Repository;
            var store = new UpdateStore(repository).BeforeReading(context.Output);
            var updates = store.All();
            var notes = store.Notes.Snapshot().ReadMany(updates.Select(u => u.Post));
            IReadOnlyList<string> LiveOn(UpdateInfo u) => LiveRecord.LiveOn(u.Id, notes.GetValueOrDefault(u.Post)).Select(r => r.Host).ToList();
            if (parse.GetValue(json))
            {
                context.WriteJson(updates.ToJsonArray(u => new JsonObject
                {
                    ["id"] = u.Id,
                    ["post"] = u.Post,
                    ["pre"] = u.Note?.Pre,
                    ["source"] = u.Note?.Source,
                    ["verdict"] = u.Note?.Verdict,
                    ["changed"] = (u.Note?.Changed ?? []).ToJsonArray(),
                    ["new"] = (u.Note?.New ?? []).ToJsonArray(),
                    ["removed"] = (u.Note?.Removed ?? []).ToJsonArray(),
                    ["unsafe"] = (u.Note?.Unsafe ?? []).ToJsonArray(),
                    ["liveOn"] = LiveOn(u).ToJsonArray(),
                }));
                return ExitCodes.Success;
            }
            var colour = context.Colour;
            foreach (var u in updates)
            {
                var functions = u.Note == null ? "(no note)" : $"{u.Note.Changed.Count + u.Note.New.Count + u.Note.Removed.Count} function(s)";
                var live = LiveOn(u) is { Count: > 0 } hosts ? $"  (live on {string.Join(", ", hosts)})" : "";
                context.Out.WriteLine($"{colour.Bold(u.Id)}  {colour.Name(u.Post[..12])}  {colour.Verdict(u.Note?.Verdict, 15)}  {functions,-14}  {u.Note?.Source}{live}");
            }
            return ExitCodes.Success;
        });
        return command;
    }
}
