using System.CommandLine;
using GitKsplice.Live;
using GitKsplice.Reporting;
using GitKsplice.Updates;

namespace GitKsplice.Cli.Commands;

/// <summary>git ksplice undo: take an applied update back (disable, transition, unload), newest of a series first.</summary>
internal static class UndoCommand
{
    public static Command Build()
    {
        var id = new Argument<string>("id") { Description = "The update to take back" };
        var all = new Option<bool>("--all") { Description = "Also undo the updates of its series applied after it, newest first" };
        var live = new LiveCommand("Say what would be undone; undo nothing");
        var command = live.Build("undo", "Undo an applied update on a running kernel (this machine, or a host over ssh): disable, wait for the transition, unload",
            id, all);
        command.Runs((context, parse) => live.Run(context, parse,
            run => run.Updates.Undo(UpdateId.Parse(parse.GetValue(id)!), run.Connection, run.Limit, parse.GetValue(all), run.DryRun, run.Status, run.Cancel),
            UndoJson.Of, KspliceJsonContext.Relaxed.UndoJson, (stdout, report, colour) => Print(stdout, report, colour, live.DryRun(parse)), r => r.Failure));
        return command;
    }

    private static void Print(TextWriter stdout, UndoReport r, Colour colour, bool dryRun)
    {
        if (dryRun)
        {
            stdout.WriteLine($"would undo on {r.Host} ({r.Release}), in this order: {string.Join(", ", r.Order)}; nothing was undone (--dry-run)");
            return;
        }
        foreach (var step in r.Steps)
        {
            var word = LiveRecord.Results[step.Result];
            var transition = step.Job.TransitionSeconds is { } s && step.Result == LiveResult.Undone ? $" in {s:0.00} s" : "";
            stdout.WriteLine($"{(step.Result == LiveResult.Undone ? colour.Good(word) : colour.Bad(word))} update {step.Id} ({step.Module}) on {r.Host}{transition}");
            if (step.Failure == null) continue;
            foreach (var line in step.Job.Output) stdout.WriteLine($"  {line}");
            LiveOptions.PrintBlocking(stdout, step.Job);
        }
    }
}

/// <summary>undo --json: the host, the order of the undo, and each update taken back (or not).</summary>
internal sealed record UndoJson(string Host, string Release, IReadOnlyList<UpdateId> Order, IReadOnlyList<UndoJson.UndoneUpdate> Undone, string? Failure, double Seconds)
{
    public static UndoJson Of(UndoReport r) => new(r.Host, r.Release, r.Order,
        r.Steps.Select(s => new UndoneUpdate(s.Id, s.Module, s.Result, JobJson.Of(s.Job), s.Failure)).ToList(), r.Failure, Math.Round(r.Elapsed.TotalSeconds, 2));

    internal sealed record UndoneUpdate(UpdateId Id, string Module, LiveResult Result, JobJson Job, string? Failure);
}
