using System.CommandLine;
using GitKsplice.Git;
using GitKsplice.Hooks;
using GitKsplice.Processes;
using GitKsplice.Reporting;
using GitKsplice.Settings;

namespace GitKsplice.Cli.Commands;

/// <summary>
/// git ksplice hook &lt;name&gt;: what the installed hook scripts run. Queues HEAD and, by ksplice.hook.mode,
/// checks it in a detached job (background), here and now (sync), or not at all (off). Never fails the git
/// command that fired it: problems go to the job's log and to `git ksplice status`.
/// </summary>
internal static class HookCommand
{
    public static Command Build()
    {
        var name = new Argument<string>("name") { Description = "The hook that fired: " + string.Join(", ", HookScript.Names) };
        var hookArgs = new Argument<string[]>("args") { Description = "The hook's own arguments", Arity = ArgumentArity.ZeroOrMore };
        var detached = new Option<bool>("--detached") { Description = "Run the queued jobs here: this process is already detached", Hidden = true };
        var verbose = CommonOptions.Verbose();
        var command = new Command("hook", "Run by the installed hooks: check HEAD's hot update as ksplice.hook.mode says") { name, hookArgs, detached, verbose };
        // kill, a closed terminal or ^C stop the build cleanly: its processes killed, the job marked interrupted.
        command.Runs((context, parse) =>
        {
            var output = context.Output;
            var hook = parse.GetValue(name)!;
            if (!HookScript.Names.Contains(hook))
                throw new UserError($"unknown hook '{hook}': git-ksplice handles {string.Join(", ", HookScript.Names)}", ExitCodes.Usage);
            // post-commit runs with git's index variable set; our own git calls must not inherit it.
            Environment.SetEnvironmentVariable("GIT_INDEX_FILE", null);
            var repository = context.Repository;
            if (repository.WorkDir == null) return ExitCodes.Success;
            var settings = HookSettings.Read(repository);
            var args = parse.GetValue(hookArgs) ?? [];
            var trigger = string.Join(' ', args.Prepend(hook));
            var job = new HookJob(repository, settings, output);
            switch (settings.Mode)
            {
                case HookMode.Off:
                    break;
                case HookMode.Sync:
                    if (job.Enqueue(trigger) != null) job.RunQueue(wait: true, context.Cancel);
                    break;
                case HookMode.Background when !parse.GetValue(detached):
                    var r = CommandRunner.Run(repository.WorkDir, "/bin/sh", ["-c", "hook=$1; shift\n" + HookScript.Detach, "sh", hook, .. args]);
                    if (!r.Succeeded) throw new UserError($"could not start the background job: {r.StdErr.Trim()}");
                    break;
                case HookMode.Background:
                    if (job.Enqueue(trigger) != null) job.RunQueue(wait: false, context.Cancel);
                    break;
            }
            return ExitCodes.Success;
        });
        return command;
    }
}
