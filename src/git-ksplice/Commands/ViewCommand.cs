using System.CommandLine;
using GitKsplice.Git;
using GitKsplice.Live;
using GitKsplice.Reporting;
using GitKsplice.Updates;

namespace GitKsplice.Cli.Commands;

/// <summary>git ksplice view: the livepatches on a running kernel, ours marked with their update, like ksplice-view.</summary>
internal static class ViewCommand
{
    public static Command Build()
    {
        var operands = new Argument<string[]>("id-or-host")
        {
            Description = "[<id>] [<host>]: an update to look for, and the target ([user@]host or [IPv6 address]; this machine when omitted). A single operand that names a recorded update is the id",
            Arity = new ArgumentArity(0, 2),
        };
        var json = CommonOptions.Json();
        var command = new Command("view", "Show the livepatches applied on a running kernel (this machine, or a host over ssh), ours with their update") { operands, json };
        command.Runs((context, parse) =>
        {
            var output = context.Output;
            var words = parse.GetValue(operands) ?? [];
            var repository = context.Repository;
            UpdateId? id = null;
            string? host = null;
            if (words.Length == 2) (id, host) = (UpdateId.Parse(words[0]), words[1]);
            else if (words.Length == 1)
            {
                if (UpdateId.TryParse(words[0], out var maybe) && new UpdateStore(repository).PostCommit(maybe) != null) id = maybe;
                else host = words[0];
            }
            ViewReport report;
            try { report = new LiveUpdates(repository, output.Info).View(id, LiveOptions.Connection(context, host), output.Status, context.Cancel); }
            finally { output.EndStatus(); }
            if (parse.GetValue(json)) context.WriteJson(ViewJson.Of(report), KspliceJsonContext.Relaxed.ViewJson);
            else Print(context.Out, report, context.Colour);
            return ExitCodes.Success;
        });
        return command;
    }

    private static void Print(TextWriter stdout, ViewReport r, Colour colour)
    {
        stdout.WriteLine($"{r.Host}: kernel {r.Release}");
        if (!r.Livepatch)
        {
            stdout.WriteLine("  no /sys/kernel/livepatch: this kernel cannot take livepatches (CONFIG_LIVEPATCH)");
            return;
        }
        if (r.Patches.Count == 0) stdout.WriteLine("  no livepatch applied");
        foreach (var p in r.Patches)
        {
            var state = p.Patch.InTransition ? colour.Warn("in transition") : p.Patch.Enabled ? colour.Good("enabled") : colour.Bad("disabled");
            var who = p.Id is { } ours ? $"update {colour.Bold(ours.Value)} {colour.Name(p.Commit![..12])} {p.Subject}" : colour.Warn("foreign");
            stdout.WriteLine($"  {p.Patch.Module}  {state}  {who}");
            if (p.Id != null)
                stdout.WriteLine(p.Sha256Matches switch
                {
                    true => $"    module sha256 {p.Patch.Sha256} {colour.Good("matches the update")}",
                    false => $"    module sha256 {p.Patch.Sha256} {colour.Bad($"differs from the update's {p.ExpectedSha256}")}",
                    null => "    module sha256 unknown (no copy of the loaded module on the target, or no manifest here)",
                });
            foreach (var f in p.Patch.Functions)
                stdout.WriteLine($"    {f.Name}{(f.Sympos > 1 ? $",{f.Sympos}" : "")}{(f.Object != "vmlinux" ? $" [{f.Object}]" : "")}");
        }
        if (r.Update is { } u)
            stdout.WriteLine(r.UpdateApplied == true ? $"update {u.Id} is applied on {r.Host}" : $"update {u.Id} is not applied on {r.Host}");
    }
}

/// <summary>view --json: the host, each livepatch on it (ours with their update), the jobs' results, and a named update.</summary>
internal sealed record ViewJson(string Host, string Release, bool Livepatch, IReadOnlyList<ViewJson.PatchOnTarget> Patches,
    IReadOnlyList<ViewJson.TargetJob> Jobs, ViewJson.NamedUpdate? Update)
{
    public static ViewJson Of(ViewReport r) => new(r.Host, r.Release, r.Livepatch,
        r.Patches.Select(p => new PatchOnTarget(p.Patch.Module, p.Id, p.Commit, p.Subject, p.Patch.Enabled, p.Patch.InTransition,
            FunctionJson.Of(p.Patch.Functions), p.Patch.Sha256, p.Sha256Matches)).ToList(),
        r.Jobs.OrderBy(j => j.Key, StringComparer.Ordinal).Select(j => new TargetJob(j.Key, j.Value)).ToList(),
        r.Update is { } u ? new NamedUpdate(u.Id, u.Post, r.UpdateApplied, u.Manifest) : null);

    internal sealed record PatchOnTarget(string Module, UpdateId? Id, string? Commit, string? Subject, bool Enabled, bool Transition,
        IReadOnlyList<FunctionJson> Functions, string? Sha256, bool? Sha256Matches);

    /// <summary>The last job on the target for a module, by the result word its log ends with.</summary>
    internal sealed record TargetJob(string Module, string Result);

    internal sealed record NamedUpdate(UpdateId Id, string Post, bool? Applied, Manifest? Manifest);
}
