using System.CommandLine;
using GitKsplice.Git;
using GitKsplice.Reporting;
using GitKsplice.Updates;

namespace GitKsplice.Cli.Commands;

/// <summary>git ksplice try: load updates into the running kernel's image in a throwaway VM and check them live.</summary>
internal static class TryCommand
{
    public static Command Build()
    {
        var ids = new Argument<string[]>("id")
        {
            Description = "The updates to load, in series order (default: the newest); an update's predecessors in its series load first",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var kernel = new Option<string?>("--kernel") { Description = "The running kernel's image (default: vmlinuz or bzImage in ORIG_CONFIG)", HelpName = "file" };
        var config = new Option<string?>("--config") { Description = "ORIG_CONFIG: the directory with the running kernel's image (default <tree>/ksplice)", HelpName = "dir" };
        var check = new Option<string[]>("--check")
        {
            Description = "A shell command run in the guest before loading, while applied and after the undo (repeatable); it must succeed while applied",
            HelpName = "command",
            AllowMultipleArgumentsPerToken = false,
        };
        var module = new Option<string[]>("--module")
        {
            Description = "A module of the running kernel (.ko) loaded in the guest before the checks, such as the one an update patches (repeatable)",
            HelpName = "file",
            AllowMultipleArgumentsPerToken = false,
        };
        var timeout = new Option<int>("--timeout") { Description = "Seconds the whole guest run may take", HelpName = "seconds", DefaultValueFactory = _ => 120 };
        var json = CommonOptions.Json();
        var quiet = CommonOptions.Quiet();

        var command = new Command("try", "Load updates into the running kernel's image in a throwaway QEMU guest: transition, checks, warnings, undo")
        {
            ids, kernel, config, check, module, timeout, json, quiet,
        };
        command.Runs(Execute);
        return command;

        int Execute(CommandContext context, ParseResult parse)
        {
            var output = context.Output;
            var cancel = context.Cancel;
            var seconds = parse.GetValue(timeout);
            if (seconds <= 0) throw new UserError($"--timeout must be positive, not {seconds}", ExitCodes.Usage);
            var checks = parse.GetValue(check) ?? [];
            var repository = context.Repository;
            var plan = new TrialPlan(repository);
            var updates = plan.Updates((parse.GetValue(ids) ?? []).Select(UpdateId.Parse).ToList(), output.Info);
            var request = new TrialRequest(updates.Select(TrialPlan.Input).ToList(), plan.Kernel(context.FullPathOrNull(parse.GetValue(kernel)), context.FullPathOrNull(parse.GetValue(config))),
                plan.SerialLog(updates))
            {
                Checks = checks,
                KernelModules = (parse.GetValue(module) ?? []).Select(context.FullPath).ToList(),
                Timeout = TimeSpan.FromSeconds(seconds),
            };
            var when = DateTimeOffset.UtcNow;
            TrialReport report;
            try { report = UpdateTrial.Run(request, output.Status, cancel); }
            finally { output.EndStatus(); }
            plan.Record(updates, report, when);

            if (parse.GetValue(json)) context.WriteJson(TryJson.Of(report), KspliceJsonContext.Relaxed.TryJson);
            else if (!output.Quiet) Print(context.Out, report, context.Colour, context.OutIsTerminal ? output.Columns : 120);
            foreach (var failure in report.Failures) output.Error(failure);
            if (!report.Passed) output.Info($"serial log: {report.SerialLog}");
            return report.Passed ? ExitCodes.Success : ExitCodes.Error;
        }
    }

    private static void Print(TextWriter stdout, TrialReport report, Colour colour, int terminalWidth)
    {
        foreach (var m in report.Modules)
        {
            if (!m.Loaded) { stdout.WriteLine($"{colour.Bad("not loaded")} {m.Name} ({m.Id})"); continue; }
            var transition = m.TransitionSeconds is { } s ? $"transition completed in {s:0.00} s" : colour.Bad("transition not completed");
            stdout.WriteLine($"{colour.Good("loaded")} {m.Name} ({m.Id}): {transition}");
        }
        foreach (var c in report.Checks)
        {
            stdout.WriteLine($"\ncheck: {c.Command}");
            foreach (var line in SideBySide([("before", c.Before), ("applied", c.Applied), ("after undo", c.After)], terminalWidth))
                stdout.WriteLine("  " + line);
        }
        stdout.WriteLine();
        stdout.WriteLine(report.KernelWarnings.Count == 0 ? "kernel warnings: none" : colour.Bad($"kernel warnings: {report.KernelWarnings.Count}"));
        foreach (var w in report.KernelWarnings) stdout.WriteLine("  " + w);
        foreach (var m in report.Modules.Where(m => m.Loaded))
            stdout.WriteLine(m.Undone ? $"{colour.Good("undone")} {m.Name}" : $"{colour.Bad("not undone")} {m.Name}");
        var verdict = report.Passed ? colour.Good("passed") : colour.Bad("failed");
        stdout.WriteLine($"try {verdict} in {report.Elapsed.TotalSeconds:0.0} s (kernel {report.Release}, under QEMU TCG)");
    }

    /// <summary>The three runs of a check in columns within the given width, each headed by its phase and exit status.</summary>
    private static IEnumerable<string> SideBySide(IReadOnlyList<(string Phase, CheckRun? Run)> runs, int terminalWidth)
    {
        var columns = runs.Select(r => new List<string>
        {
            r.Run == null ? $"{r.Phase}: not run" : r.Run.ExitCode == 0 ? r.Phase + ":" : $"{r.Phase}: exit {r.Run.ExitCode}",
        }.Concat(r.Run?.Output ?? []).ToList()).ToList();
        var width = Math.Clamp(columns.SelectMany(c => c).Max(l => l.Length), 8, Math.Max(8, (terminalWidth - 2) / runs.Count - 3));
        string Cell(string text) => text.Length > width ? text[..(width - 1)] + "…" : text.PadRight(width);
        for (var row = 0; row < columns.Max(c => c.Count); row++)
            yield return string.Join(" | ", columns.Select(c => Cell(row < c.Count ? c[row] : ""))).TrimEnd();
    }
}

/// <summary>try --json: how the trial went, each update's load, transition and undo, each check's three runs, and what the kernel said.</summary>
internal sealed record TryJson(TrialResult Result, string Kernel, string Release, double Seconds, IReadOnlyList<TryJson.TrialUpdate> Updates,
    IReadOnlyList<TryJson.CheckRuns> Checks, IReadOnlyList<string> KernelWarnings, string? TaintBefore, string? TaintAfter,
    IReadOnlyList<string> Failures, string SerialLog)
{
    public static TryJson Of(TrialReport r) => new(r.Result, r.Kernel, r.Release, Math.Round(r.Elapsed.TotalSeconds, 2),
        r.Modules.Select(m => new TrialUpdate(m.Id, m.Name, m.Loaded, m.TransitionSeconds, m.Undone, m.LoadOutput, m.UndoOutput)).ToList(),
        r.Checks.Select(c => new CheckRuns(c.Command, GuestRun.Of(c.Before), GuestRun.Of(c.Applied), GuestRun.Of(c.After))).ToList(),
        r.KernelWarnings, r.TaintBefore, r.TaintAfter, r.Failures, r.SerialLog);

    internal sealed record TrialUpdate(UpdateId Id, string Module, bool Loaded, double? TransitionSeconds, bool Undone,
        IReadOnlyList<string> LoadOutput, IReadOnlyList<string> UndoOutput);

    internal sealed record CheckRuns(string Command, GuestRun? Before, GuestRun? Applied, GuestRun? After);

    /// <summary>One run of a check; null when the guest never got to it.</summary>
    internal sealed record GuestRun(int ExitCode, IReadOnlyList<string> Output)
    {
        public static GuestRun? Of(CheckRun? run) => run == null ? null : new(run.ExitCode, run.Output);
    }
}
