using System.CommandLine;
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
                context.WriteJson(updates.Select(u => new ListJson(u.Id, u.Post, u.Note?.Pre, u.Note?.Source, u.Note?.Verdict,
                    u.Note?.Changed ?? [], u.Note?.New ?? [], u.Note?.Removed ?? [], u.Note?.Unsafe ?? [], LiveOn(u))).ToList(),
                    KspliceJsonContext.Relaxed.IReadOnlyListListJson);
                return ExitCodes.Success;
            }
            var colour = context.Colour;
            foreach (var u in updates)
            {
                var functions = u.Note == null ? "(no note)" : $"{u.Note.Changed.Count + u.Note.New.Count + u.Note.Removed.Count} function(s)";
                var live = LiveOn(u) is { Count: > 0 } hosts ? $"  (live on {string.Join(", ", hosts)})" : "";
                context.Out.WriteLine($"{colour.Bold(u.Id.Value)}  {colour.Name(u.Post[..12])}  {colour.Verdict(u.Note?.Verdict, 15)}  {functions,-14}  {u.Note?.Source}{live}");
            }
            return ExitCodes.Success;
        });
        return command;
    }
}

/// <summary>list --json: one per recorded update, what its note says and the hosts it is live on.</summary>
internal sealed record ListJson(UpdateId Id, string Post, string? Pre, string? Source, string? Verdict,
    IReadOnlyList<string> Changed, IReadOnlyList<string> New, IReadOnlyList<string> Removed, IReadOnlyList<string> Unsafe,
    IReadOnlyList<string> LiveOn);
