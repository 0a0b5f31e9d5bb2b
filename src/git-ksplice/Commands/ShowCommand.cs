using System.CommandLine;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json.Serialization;
using GitKsplice.Git;
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
                var tarball = update.Note?.Tarball;
                var verdict = update.Note?.Verdict;
                var triedJson = tried == null ? null : new ShowJson.Trial(tried.When, tried.Result, tried.Seconds, tried.Release, tried.Failure);
                var liveJson = live.Select(r => new ShowJson.LiveHost(r.Host, r.Release, r.When, r.Result)).ToList();
                if (update.Manifest is { } manifest)
                    context.WriteJson(new ShowJson(manifest, verdict, tarball, triedJson, liveJson), KspliceJsonContext.Relaxed.ShowJson);
                else
                    context.WriteJson(new ShowSummaryJson(update.Id, update.Post, verdict, tarball, triedJson, liveJson), KspliceJsonContext.Relaxed.ShowSummaryJson);
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
                context.Out.WriteLine($"tried:       {(tried.Result == TrialResult.Passed ? colour.Good(tried.Result.Word()) : colour.Bad(tried.Result.Word()))} {tried.When.ToUniversalTime():yyyy-MM-dd HH:mm}Z " +
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

/// <summary>show --json: the update's manifest, then its verdict and tarball (from its note), its last trial and where it is live.</summary>
internal sealed record ShowJson : Manifest
{
    [SetsRequiredMembers]
    public ShowJson(Manifest manifest, string? verdict, string? tarball, Trial? tried, IReadOnlyList<LiveHost> live) : base(manifest) =>
        (Verdict, Tarball, Tried, Live) = (verdict, tarball, tried, live);

    [JsonPropertyOrder(1)] public string? Verdict { get; }
    [JsonPropertyOrder(2)] public string? Tarball { get; }
    [JsonPropertyOrder(3)] public Trial? Tried { get; }
    [JsonPropertyOrder(4)] public IReadOnlyList<LiveHost> Live { get; }

    /// <summary>The last `git ksplice try` of the update.</summary>
    internal sealed record Trial(DateTimeOffset When, TrialResult Result, double Seconds, string Kernel, string? Failure);

    /// <summary>The update's last apply or undo on one host.</summary>
    internal sealed record LiveHost(string Host, string Kernel, DateTimeOffset When, LiveResult Result);
}

/// <summary>show --json of an update whose manifest is no longer kept (gc removes the copies): what its note says.</summary>
internal sealed record ShowSummaryJson(UpdateId Id, string Post, string? Verdict, string? Tarball, ShowJson.Trial? Tried, IReadOnlyList<ShowJson.LiveHost> Live);
