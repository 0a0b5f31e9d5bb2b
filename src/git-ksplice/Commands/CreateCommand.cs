using System.CommandLine;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json.Serialization;
using GitKsplice.Analysis;
using GitKsplice.Git;
using GitKsplice.Processes;
using GitKsplice.Reporting;
using GitKsplice.Transport;
using GitKsplice.Updates;

namespace GitKsplice.Cli.Commands;

/// <summary>git ksplice create: ksplice-create(8) with the change taken from git.</summary>
internal static class CreateCommand
{
    public static Command Build()
    {
        var commit = new Argument<string?>("commit")
        {
            Description = "The commit whose change from refs/ksplice/pre is the update, or a range A..B",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var patch = new Option<string?>("--patch") { Description = "Build the update from a patch(1) file applied on top of refs/ksplice/pre", HelpName = "file" };
        var patchOpt = new Option<string[]>("--patch-opt") { Description = "Option passed to patch(1), repeatable (default -p1)", HelpName = "option", AllowMultipleArgumentsPerToken = false };
        var diffext = new Option<string?>("--diffext") { Description = "Build the update from every tracked file F with a sibling F+EXT", HelpName = "ext" };
        var prebuild = new Option<bool>("--prebuild") { Description = "Build the original (pre) source ahead of time; with --series, move refs/ksplice/pre to HEAD instead" };
        var series = new Option<bool>("--series") { Description = "Apply this update after the previous one: move refs/ksplice/pre to its post state once built" };
        var id = new Option<string?>("--id") { Description = "The update's id (default: 8 random characters [a-z0-9])" };
        var jobs = new Option<int?>("--jobs", "-j") { Description = "Parallel build jobs (default: $CONCURRENCY_LEVEL, else git config ksplice.jobs, else the slots of a distcc or icecream farm the launcher uses, else the number of CPUs)" };
        var launcher = new Option<string?>("--launcher")
        {
            Description = "Run every compile through this program, e.g. ccache, distcc or icecc (default: git config ksplice.compilerLauncher; \"\" for none)",
            HelpName = "command",
        };
        var buildModules = new Option<bool>("--build-modules") { Description = "Also package the new versions of changed modules (git config ksplice.modules, default *.ko)" };
        var config = new Option<string?>("--config") { Description = "ORIG_CONFIG: directory with the running kernel's .config and System.map (default <tree>/ksplice)", HelpName = "dir" };
        var replace = new Option<bool>("--replace") { Description = "The livepatch module replaces every earlier update (cumulative) instead of stacking on it (git config ksplice.replace)" };
        var requireModule = new Option<bool>("--require-module") { Description = "Fail unless the update holds a loadable livepatch module (for hooks and CI)" };
        var force = new Option<bool>("--force") { Description = "Build the update even if the analysis finds unsafe changes (they are recorded)" };
        var json = CommonOptions.Json();
        var quiet = CommonOptions.Quiet();
        var verbose = CommonOptions.Verbose();

        var command = new Command("create", "Build a hot update from a commit, a range, a patch or a file extension (ksplice-create)")
        {
            commit, patch, patchOpt, diffext, prebuild, series, id, jobs, launcher, buildModules, config, replace, requireModule, force, json, quiet, verbose,
        };
        command.Runs(Execute);
        return command;

        int Execute(CommandContext context, ParseResult parse)
        {
            var output = context.Output;
            var cancel = context.Cancel;
            PerformanceTrace.Step("command line parsed");
            UpdateCreator.PreloadHashing();
            var repository = context.Repository;
            PerformanceTrace.Step("repository opened");
            var creator = new UpdateCreator(repository, new ElfObjectAnalyzer(), output);
            PerformanceTrace.Step("settings read");
            var jobCount = parse.GetValue(jobs);
            if (jobCount is <= 0) throw new UserError($"--jobs must be positive, not {jobCount}", ExitCodes.Usage);
            IReadOnlyList<string>? launcherWords;
            try { launcherWords = parse.GetValue(launcher) is { } text ? PosixShell.SplitWords(text) : null; }
            catch (FormatException e) { throw new UserError($"--launcher: {e.Message}", ExitCodes.Usage); }

            var sources = new[] { parse.GetValue(commit) != null, parse.GetValue(patch) != null, parse.GetValue(diffext) != null }.Count(x => x);
            if (parse.GetValue(prebuild))
            {
                if (sources > 0) throw new UserError("--prebuild takes no commit, --patch or --diffext", ExitCodes.Usage);
                return Prebuild(repository, creator, output, parse.GetValue(series), jobCount, launcherWords, context.FullPathOrNull(parse.GetValue(config)), cancel);
            }
            if (sources != 1)
                throw new UserError("name the change: a commit, a range A..B, --patch FILE or --diffext EXT (exactly one)", ExitCodes.Usage);
            if (parse.GetValue(patchOpt) is { Length: > 0 } && parse.GetValue(patch) == null)
                output.Warning("--patch-opt is ignored without --patch");

            ChangeSpec change = parse.GetValue(patch) is { } patchFile
                ? new PatchChange(context.FullPath(patchFile), parse.GetValue(patchOpt) ?? [])
                : parse.GetValue(diffext) is { } ext ? new DiffExtChange(ext)
                : ChangeSpec.FromRevision(parse.GetValue(commit)!);
            var outcome = creator.Create(new CreateRequest(change)
            {
                Id = parse.GetValue(id) is { } idText ? UpdateId.Parse(idText) : null,
                Jobs = jobCount,
                Launcher = launcherWords,
                Series = parse.GetValue(series),
                BuildModules = parse.GetValue(buildModules),
                ConfigDir = context.FullPathOrNull(parse.GetValue(config)),
                Force = parse.GetValue(force),
                Replace = parse.GetValue(replace) ? true : null,
                RequireModule = parse.GetValue(requireModule),
                OutputDirectory = context.WorkingDirectory,
            }, cancel);
            return Report(context, outcome, parse.GetValue(json));
        }
    }

    /// <summary>The outcome for people (or --json) and as an exit code.</summary>
    private static int Report(CommandContext context, CreateOutcome outcome, bool json)
    {
        var output = context.Output;
        switch (outcome)
        {
            case CreateOutcome.Built built when json:
                context.WriteJson(new CreateJson(built.Manifest, built.Tarball, built.Verdict), KspliceJsonContext.Relaxed.CreateJson);
                return ExitCodes.Success;
            case CreateOutcome.Built built:
                if (!output.Quiet) PrintSummary(context.Out, built);
                return ExitCodes.Success;
            case CreateOutcome.NoCodeChange none:
                output.Fatal(none.Reason);
                return ExitCodes.NoChange;
            case CreateOutcome.Unsafe refused:
                foreach (var o in refused.Manifest.Objects)
                    foreach (var u in o.Unsafe)
                        output.Error($"{o.Path}: {u.Symbol}: {u.Reason}");
                output.Fatal(refused.Reason);
                return ExitCodes.Unsafe;
            case CreateOutcome.BuildFailed failed:
                output.Fatal(failed.Message);
                return ExitCodes.Error;
            default:
                throw new InvalidOperationException($"unknown create outcome {outcome.GetType().Name}");
        }
    }

    private static int Prebuild(KspliceRepository repository, UpdateCreator creator, ToolOutput output, bool series,
        int? jobs, IReadOnlyList<string>? launcher, string? config, CancellationToken cancel)
    {
        var refs = new SeriesRefs(repository);
        if (series)
        {
            // ksplice-create --prebuild --series: forget the old original state and do nothing else.
            var head = repository.Repo.Head.Tip ?? throw new UserError("HEAD has no commit yet");
            refs.Move(head, "series: pre state reset to HEAD (--prebuild --series)", refs.Pre);
            output.Info($"{SeriesRefs.PreRef} now at HEAD ({head.Sha[..12]})");
            return ExitCodes.Success;
        }
        var pre = creator.Prebuild(jobs, config, launcher, cancel);
        output.Info($"the pre tree is built at {pre.Sha[..12]}");
        return ExitCodes.Success;
    }

    private static void PrintSummary(TextWriter stdout, CreateOutcome.Built result)
    {
        var m = result.Manifest;
        var functions = m.Objects.Sum(o => o.Changed.Count + o.New.Count + o.Removed.Count);
        stdout.WriteLine($"Built update {m.Id} ({result.Verdict.Word()}): {functions} function(s) in {m.Objects.Count} object(s)");
        foreach (var o in m.Objects)
        {
            var parts = new List<string>();
            if (o.Changed.Count > 0) parts.Add("changed " + string.Join(", ", o.Changed));
            if (o.New.Count > 0) parts.Add("new " + string.Join(", ", o.New));
            if (o.Removed.Count > 0) parts.Add("removed " + string.Join(", ", o.Removed));
            stdout.WriteLine($"  {o.Path}: {string.Join("; ", parts)}");
            foreach (var u in o.Unsafe) stdout.WriteLine($"    unsafe: {u.Symbol}: {u.Reason}");
            foreach (var l in o.LineOnly) stdout.WriteLine($"    line numbers only: {l.Symbol}");
        }
        foreach (var mod in m.Modules) stdout.WriteLine($"  module: {mod.Path}");
        if (result.Tarball != null) stdout.WriteLine($"Wrote {result.Tarball}");
    }
}

/// <summary>create --json: the update's manifest, then where its tarball is and its verdict.</summary>
internal sealed record CreateJson : Manifest
{
    [SetsRequiredMembers]
    public CreateJson(Manifest manifest, string? tarball, UpdateVerdict verdict) : base(manifest) => (Tarball, Verdict) = (tarball, verdict);

    [JsonPropertyOrder(1)] public string? Tarball { get; }
    [JsonPropertyOrder(2)] public UpdateVerdict Verdict { get; }
}
