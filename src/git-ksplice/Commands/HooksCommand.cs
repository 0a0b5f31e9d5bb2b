using System.CommandLine;
using GitKsplice.Git;
using GitKsplice.Hooks;
using GitKsplice.Reporting;
using GitKsplice.Settings;

namespace GitKsplice.Cli.Commands;

/// <summary>git ksplice hooks install | uninstall | status: the commit hooks that check every new commit.</summary>
internal static class HooksCommand
{
    public static Command Build()
    {
        var json = CommonOptions.Json();
        var command = new Command("hooks", "Install, remove or show the hooks that check each new commit in the background") { json };
        command.Runs((context, parse) => ShowStatus(context, parse.GetValue(json)));
        command.Subcommands.Add(Install());
        command.Subcommands.Add(Uninstall());
        command.Subcommands.Add(Status());
        return command;
    }

    private static Command Install()
    {
        var quiet = CommonOptions.Quiet();
        var command = new Command("install",
            "Install post-commit, post-merge and post-rewrite hooks where git runs them; a hook already there keeps running first") { quiet };
        command.Runs((context, parse) =>
        {
            var output = context.Output;
            var repository = context.Repository;
            var installer = new HookInstaller(repository);
            var hooks = installer.Install();
            output.Info($"git-ksplice hooks installed in {installer.HooksDir}:");
            foreach (var h in hooks)
                output.Info($"  {h.Name,-13} {(h.State == HookFileState.InstalledChained ? $"installed; runs the hook that was there first (kept as {h.Name}{HookScript.ChainedSuffix})" : "installed")}");
            var series = new SeriesRefs(repository);
            if (series.Pre == null)
            {
                if (new Updates.UpdateStore(repository).Refs().Count > 0)
                    output.Warning($"{SeriesRefs.PreRef} is missing, but updates are recorded; mark the running kernel's source with 'git ksplice series set <commit>'");
                else if (repository.Repo.Head.Tip != null) series.StartAtHead(output);
                else output.Info($"note: no commit yet; mark the running kernel's source later with 'git ksplice series set <commit>'");
            }
            output.Info($"mode: {HookSettings.Name(HookSettings.Read(repository).Mode)} ({KspliceConfigKeys.HookMode.Name}: background | sync | off); " +
                "see the verdicts with 'git ksplice status'");
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Uninstall()
    {
        var quiet = CommonOptions.Quiet();
        var command = new Command("uninstall", "Remove git-ksplice's hooks and put back the hooks they chained, byte for byte") { quiet };
        command.Runs((context, parse) =>
        {
            var output = context.Output;
            var repository = context.Repository;
            var installer = new HookInstaller(repository);
            var done = installer.Uninstall();
            if (done.Count == 0) output.Info($"no git-ksplice hook in {installer.HooksDir}");
            foreach (var (hook, outcome) in done) output.Info($"{hook.Name}: {outcome}");
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Status()
    {
        var json = CommonOptions.Json();
        var command = new Command("status", "Show where the hooks are and whether each is installed") { json };
        command.Runs((context, parse) => ShowStatus(context, parse.GetValue(json)));
        return command;
    }

    private static int ShowStatus(CommandContext context, bool json)
    {
        var repository = context.Repository;
        var installer = new HookInstaller(repository);
        var hooks = installer.Status();
        var mode = HookSettings.Name(HookSettings.Read(repository).Mode);
        if (json)
        {
            context.WriteJson(new HooksStatusJson(installer.HooksDir, mode, hooks.Select(h => new HooksStatusJson.HookFile(h.Name, h.Path, h.State)).ToList()),
                KspliceJsonContext.Relaxed.HooksStatusJson);
            return ExitCodes.Success;
        }
        context.Out.WriteLine($"hooks directory: {installer.HooksDir}");
        foreach (var h in hooks) context.Out.WriteLine($"  {h.Name,-13} {Describe(h)}");
        context.Out.WriteLine($"mode: {mode}");
        return ExitCodes.Success;
    }

    private static string Describe(HookFileStatus h) => h.State switch
    {
        HookFileState.Absent => "not installed",
        HookFileState.Installed => "installed",
        HookFileState.InstalledChained => $"installed, chained to {h.Name}{HookScript.ChainedSuffix}",
        HookFileState.Foreign => "another hook (install chains it)",
        _ => $"another hook, and {h.Name}{HookScript.ChainedSuffix} beside it: sort them out by hand",
    };
}

/// <summary>hooks status --json: where the hooks are, the mode, and how each hook stands.</summary>
internal sealed record HooksStatusJson(string HooksDir, string Mode, IReadOnlyList<HooksStatusJson.HookFile> Hooks)
{
    internal sealed record HookFile(string Name, string Path, HookFileState State);
}
