using System.CommandLine;
using GitKsplice.Git;
using GitKsplice.Reporting;
using GitKsplice.Updates;

namespace GitKsplice.Cli.Commands;

/// <summary>git ksplice series: the pre ref (the running kernel's source) and how it moved.</summary>
internal static class SeriesCommand
{
    public static Command Build()
    {
        var json = CommonOptions.Json();
        var command = new Command("series", "Show refs/ksplice/pre and the updates built on it; move it with set or advance") { json };
        command.Runs((context, parse) =>
        {
            var repository = context.Repository;
            var store = new UpdateStore(repository).BeforeReading(context.Output);
            var pre = new SeriesRefs(repository).Pre;
            var built = pre == null ? [] : store.BuiltOn(pre.Sha);
            if (parse.GetValue(json))
            {
                context.WriteJson(new SeriesJson(pre?.Sha, built.Select(u => new SeriesJson.BuiltUpdate(u.Id, u.Post, u.Note?.Verdict, u.Note?.Source)).ToList()),
                    KspliceJsonContext.Relaxed.SeriesJson);
                return ExitCodes.Success;
            }
            if (pre == null)
            {
                context.Out.WriteLine($"{SeriesRefs.PreRef} is not set; the first create or prebuild sets it to HEAD");
                return ExitCodes.Success;
            }
            var colour = context.Colour;
            context.Out.WriteLine($"pre: {colour.Name(pre.Sha[..12])} {pre.MessageShort}");
            context.Out.WriteLine(built.Count == 0 ? "no update built on it yet" : "updates built on it:");
            foreach (var u in built) context.Out.WriteLine($"  {colour.Bold(u.Id.Value)}  {colour.Name(u.Post[..12])}  {colour.Verdict(u.Note?.Verdict)}  {u.Note?.Source}");
            return ExitCodes.Success;
        });
        command.Subcommands.Add(Set());
        command.Subcommands.Add(Advance());
        command.Subcommands.Add(Log());
        return command;
    }

    private static Command Set()
    {
        var commit = new Argument<string>("commit") { Description = "The commit the running kernel was built from" };
        var command = new Command("set", "Mark a commit as the running kernel's source (move refs/ksplice/pre)") { commit };
        command.Runs((context, parse) =>
        {
            var repository = context.Repository;
            var refs = new SeriesRefs(repository);
            var target = repository.ResolveCommit(parse.GetValue(commit)!);
            refs.Move(target, $"series set {parse.GetValue(commit)}", refs.Pre);
            context.Out.WriteLine($"{SeriesRefs.PreRef} is now {target.Sha[..12]} {target.MessageShort}");
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Advance()
    {
        var id = new Argument<string>("id") { Description = "The update now applied to the running kernel" };
        var command = new Command("advance", "Move refs/ksplice/pre to an update's post state, once the update is applied") { id };
        command.Runs((context, parse) =>
        {
            var repository = context.Repository;
            var refs = new SeriesRefs(repository);
            var update = UpdateId.Parse(parse.GetValue(id)!);
            var post = new UpdateStore(repository).PostCommit(update) ?? throw new UserError($"no such update: '{update}'");
            refs.Move(post, $"series advance {update}", refs.Pre);
            context.Out.WriteLine($"{SeriesRefs.PreRef} is now {post.Sha[..12]} (after update {update})");
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Log()
    {
        var json = CommonOptions.Json();
        var command = new Command("log", "Every move of refs/ksplice/pre, newest first, with its reason") { json };
        command.Runs((context, parse) =>
        {
            var repository = context.Repository;
            var moves = new SeriesRefs(repository).Log();
            if (parse.GetValue(json))
            {
                context.WriteJson(moves.Select(m => new SeriesMoveJson(m.From, m.To, m.When, m.Reason)).ToList(), KspliceJsonContext.Relaxed.IReadOnlyListSeriesMoveJson);
                return ExitCodes.Success;
            }
            foreach (var m in moves)
                context.Out.WriteLine($"{m.To[..12]} {m.When:yyyy-MM-dd HH:mm:ss zzz}  {m.Reason}");
            return ExitCodes.Success;
        });
        return command;
    }
}

/// <summary>series --json: the pre commit and the updates built on it.</summary>
internal sealed record SeriesJson(string? Pre, IReadOnlyList<SeriesJson.BuiltUpdate> Updates)
{
    internal sealed record BuiltUpdate(UpdateId Id, string Post, string? Verdict, string? Source);
}

/// <summary>series log --json: one move of the pre ref.</summary>
internal sealed record SeriesMoveJson(string From, string To, DateTimeOffset When, string Reason);
