using GitKsplice.Cli;
using GitKsplice.Kstuff.Config;
using GitKsplice.Kstuff.Merge;
using GitKsplice.Kstuff.Options;
using GitKsplice.Kstuff.Targets;

namespace GitKsplice.Kstuff.Delivery;

/// <summary>What the delivery does after the target's configuration is known (-B, -I, -M, -Q).</summary>
public enum DeliveryMode
{
    /// <summary>Send the bundle, merge, idbuild, install [default, -B].</summary>
    Normal,
    /// <summary>-I: idbuild the tree already on the target and install the kernel; send nothing.</summary>
    BuildOnly,
    /// <summary>-M: send the bundle and merge, but do not idbuild.</summary>
    MergeOnly,
    /// <summary>-Q: send only the changed Driver.o files, then idbuild -KQ.</summary>
    Quick,
}

/// <summary>A changed Driver.o for -Q: the driver and the file in the source tree.</summary>
public sealed record QuickFile(string Driver, string LocalPath);

/// <summary>What a delivery sends: the source tree (normal and -M), the changed objects (-Q), the -c command file.</summary>
public sealed record DeliveryInput(Func<ConfigTree>? Source = null, IReadOnlyList<QuickFile>? QuickFiles = null, IReadOnlyList<string>? CommandFiles = null,
    IReadOnlyDictionary<string, string>? Renames = null);

/// <summary>
/// The delivery of kstuff(1): read the target's configuration, merge here, stage the merged tree on the
/// target, run the -c command, idbuild and idmknod there, then install — the unix rotation for kname unix.
/// Nothing live on the target changes before the build succeeded, and a failed step leaves the target as
/// it was (the staging directory is removed, an install is undone step by step).
/// </summary>
public sealed class KstuffDelivery(KstuffOptions options, KstuffSettings settings, ToolOutput output, string workRoot)
{
    /// <summary>The mode the options ask for; -I, -M and -Q exclude each other.</summary>
    public static DeliveryMode ModeOf(KstuffOptions o)
    {
        var asked = new[] { (o.IdbuildOnly, "-I"), (o.MergeOnly, "-M"), (o.Quick, "-Q") }.Where(m => m.Item1).Select(m => m.Item2).ToList();
        if (asked.Count > 1) throw new UserError($"{string.Join(" and ", asked)} cannot be used together", ExitCodes.Usage);
        return o.IdbuildOnly ? DeliveryMode.BuildOnly : o.MergeOnly ? DeliveryMode.MergeOnly : o.Quick ? DeliveryMode.Quick : DeliveryMode.Normal;
    }

    private readonly DeliveryMode _mode = ModeOf(options);

    private string? _currentStep;

    public DeliveryRecord Deliver(Target target, TargetLayout layout, DeliveryInput input)
    {
        var started = DateTimeOffset.UtcNow;
        var mode = _mode switch
        {
            DeliveryMode.BuildOnly => "idbuild only (-I)",
            DeliveryMode.MergeOnly => "merge only (-M)",
            DeliveryMode.Quick => "quick (-Q)",
            _ => "normal",
        };
        try
        {
            var lockDir = target.PathOf(layout.LockDir);
            var holder = $"{TargetLayout.Login()}@{System.Net.Dns.GetHostName()} pid {Environment.ProcessId} since {started:yyyy-MM-dd HH:mm:ss}Z";
            Step("locking", () => target.RunStep($"locking {layout.LockDir}", RemoteScripts.Lock, [lockDir, holder]));
            try
            {
                var drivers = _mode switch
                {
                    DeliveryMode.BuildOnly => BuildOnly(target, layout),
                    DeliveryMode.Quick => Quick(target, layout, input.QuickFiles ?? []),
                    _ => Full(target, layout, input),
                };
                return new DeliveryRecord(target.Display, layout.Kname, mode, started, "ok", null, drivers);
            }
            finally
            {
                if (target.Run(RemoteScripts.Remove, [lockDir], uninterruptible: true).ExitCode != 0)
                    output.Warning($"could not remove the lock {layout.LockDir} on {target.Display}");
            }
        }
        catch (Exception e) when (e is UserError or OperationCanceledException)
        {
            var result = e is UserError ? "failed: " + e.Message : "interrupted";
            Failed = new DeliveryRecord(target.Display, layout.Kname, mode, started, result, _currentStep);
            throw;
        }
    }

    /// <summary>The record of a delivery that threw, for the note.</summary>
    public DeliveryRecord? Failed { get; private set; }

    private IReadOnlyList<string> Full(Target target, TargetLayout layout, DeliveryInput input)
    {
        var source = Step("reading the bundle", () => input.Source!());
        output.Info($"Reading the configuration of {target.Display}:{layout.MergeTree}");
        var targetTree = Step("reading the configuration", () => TargetReader.ReadConfiguration(target, layout.MergeTree));
        var devMajors = Step("listing /dev", () => TargetReader.ReadDeviceMajors(target));

        var merge = Step("merging", () => ConfigMerge.Merge(source, targetTree, new MergeOptions
        {
            Stuff = options.Stuff,
            Renames = input.Renames ?? new Dictionary<string, string>(),
            DevMajors = devMajors,
        }));
        foreach (var warning in merge.Warnings) output.Warning("WARNING: " + warning);
        foreach (var d in merge.Decisions) output.Verbose($"  {d.Name}: {d.Fate}: {d.Reason}");
        var included = merge.Decisions.Where(d => d.Incorporated).Select(d => d.Name).ToList();
        output.Info($"Merged {included.Count} drivers ({merge.SourceOnlyIncluded.Count()} from the source only, {merge.Warnings.Count} warnings)");

        var stage = target.PathOf(layout.BuildTree);
        var staged = false;
        try
        {
            SendTree(target, merge.Merged.Files().ToList(), stage, layout.BuildTree);
            staged = true;
            var fromTarget = merge.Decisions.Where(d => d.Fate is DriverFate.TargetOnlyKept or DriverFate.TakenFromTarget).Select(d => d.Name).ToList();
            if (fromTarget.Count > 0)
                Step("copying the target's drivers", () => target.RunStep("copying the target's drivers", RemoteScripts.CopyDriverPacks,
                    [target.PathOf(layout.MergeTree), stage, .. fromTarget]));
            foreach (var command in input.CommandFiles ?? []) RunCommand(target, layout, command, stage);
            if (_mode == DeliveryMode.MergeOnly)
            {
                if (layout.IsUnix)
                {
                    output.Info($"Merged tree left in {target.Display}:{layout.BuildTree}; 'git kstuff -I {HostOperand(target)}:unix' builds and installs it");
                    return included;
                }
                Install(target, layout, InstallPlans.Named(target, layout, moveTree: true, installKernel: false));
                output.Info($"Merged tree installed as {target.Display}:{layout.ConfTree} (no idbuild: -M)");
                return included;
            }
            Build(target, stage);
            var sourceOnly = merge.SourceOnlyIncluded.ToList();
            if (sourceOnly.Count > 0) output.Info($"Device nodes for {string.Join(", ", sourceOnly)} come last (idmknod -s: no node is removed)");
            var plan = layout.IsUnix ? InstallPlans.UnixRotation(target) : InstallPlans.Named(target, layout, moveTree: true, installKernel: true);
            Install(target, layout, plan.WithDeviceNodes(target, Idbuild(target), sourceOnly));
            staged = false;
            output.Info($"Installed {target.Display}:{layout.Kernel} and {layout.ConfTree}");
            return included;
        }
        catch (Exception e) when ((e is UserError or OperationCanceledException) && (staged || _currentStep == "sending the merged tree"))
        {
            RemoveQuietly(target, stage);
            throw;
        }
    }

    /// <summary>-I: idbuild the tree already on the target and install its kernel.</summary>
    private IReadOnlyList<string> BuildOnly(Target target, TargetLayout layout)
    {
        if (layout.IsUnix)
        {
            // A tree left by "-M host:unix" waits in /etc/.kbundle: it is built and rotated in.
            var pending = Step("looking for /etc/.kbundle", () => target.Run("[ -d \"$1\" ]", [target.PathOf(layout.BuildTree)])).ExitCode == 0;
            if (pending)
            {
                Build(target, target.PathOf(layout.BuildTree));
                Install(target, layout, InstallPlans.UnixRotation(target));
            }
            else
            {
                Build(target, target.PathOf(layout.ConfTree));
                Install(target, layout, InstallPlans.UnixKernelOnly(target));
            }
        }
        else
        {
            Build(target, target.PathOf(layout.ConfTree));
            Install(target, layout, InstallPlans.Named(target, layout, moveTree: false, installKernel: true));
        }
        output.Info($"Installed {target.Display}:{layout.Kernel}");
        return [];
    }

    /// <summary>
    /// -Q: the changed Driver.o files replace the tree's (the old ones kept until the end), idbuild -KQ
    /// runs in the tree, and the kernel is installed; all one plan, undone as a whole if a step fails.
    /// </summary>
    private IReadOnlyList<string> Quick(Target target, TargetLayout layout, IReadOnlyList<QuickFile> files)
    {
        if (files.Count == 0)
        {
            output.Info("No Driver.o changed since the bundle was built: nothing to send");
            return [];
        }
        var local = Path.Combine(workRoot, "quick");
        if (Directory.Exists(local)) Directory.Delete(local, recursive: true);
        foreach (var f in files)
        {
            var dest = Path.Combine(local, "pack.d", f.Driver, "Driver.o");
            Directory.CreateDirectory(Path.GetDirectoryName(dest)!);
            File.Copy(f.LocalPath, dest);
        }
        output.Info($"Sending {files.Count} changed Driver.o: {string.Join(", ", files.Select(f => f.Driver))}");
        var quickStage = target.PathOf(layout.QuickStage);
        try
        {
            Send(target, local, quickStage, layout.QuickStage);
            var plan = new InstallPlan()
                .Variable("T", target.PathOf(layout.ConfTree))
                .Variable("Q", quickStage)
                .Variable("S", target.PathOf(layout.ConfTree))
                .Variable("IDB", Idbuild(target))
                .Variable("R", target.Address.Root)
                .Step($"replace the changed drivers in {layout.ConfTree}",
                    """
                    [ -d "$T" ] || { echo "no tree $T: deliver the kernel once without -Q"; exit 1; }
                    mkdir -p "$W/drivers"; : > "$W/new-drivers"
                    (cd "$Q" && find pack.d -type f -print) | while IFS= read -r f; do
                      d=$(dirname "$f")
                      if [ ! -d "$T/$d" ]; then echo "kstuff: $d is not in $T: not sent"; continue; fi
                      if [ -e "$T/$f" ]; then mkdir -p "$W/drivers/$(dirname "$f")" && cp -p "$T/$f" "$W/drivers/$f" || exit 1
                      else echo "$f" >> "$W/new-drivers" || exit 1; fi
                      mkdir -p "$T/$(dirname "$f")" && cp -p "$Q/$f" "$T/$f" || exit 1
                    done
                    """,
                    """
                    if [ -e "$W/new-drivers" ]; then while IFS= read -r f; do rm -f "$T/$f"; done < "$W/new-drivers"; fi
                    if [ -d "$W/drivers" ]; then (cd "$W/drivers" && find pack.d -type f -print) | while IFS= read -r f; do cp -p "$W/drivers/$f" "$T/$f"; done; fi
                    true
                    """)
                .Step("idbuild -KQ", "set -- " + string.Join(' ', IdbuildFlags(quick: true)) + "\n" + RemoteScripts.BuildBody, "true");
            var kernelPlan = layout.IsUnix ? InstallPlans.UnixKernelOnly(target) : InstallPlans.Named(target, layout, moveTree: false, installKernel: true);
            foreach (var step in kernelPlan.Steps) plan.Step(step.Name, step.Do, step.Undo);
            plan.Variable("C", target.PathOf(layout.ConfTree)).Variable("ST", target.PathOf(TargetLayout.StandDir)).Variable("K", layout.Kname);
            plan.Commit = kernelPlan.Commit + $"\nrm -rf \"$Q\"";
            Install(target, layout, plan);
        }
        catch (Exception e) when (e is UserError or OperationCanceledException)
        {
            RemoveQuietly(target, quickStage);
            throw;
        }
        finally
        {
            if (Directory.Exists(local)) Directory.Delete(local, recursive: true);
        }
        output.Info($"Installed {target.Display}:{layout.Kernel} (idbuild -KQ)");
        return files.Select(f => f.Driver).ToList();
    }

    private void SendTree(Target target, IReadOnlyList<TreeFile> files, string remoteDir, string shownAs)
    {
        var progress = new Progress(output, $"Sending to {target.Display}:{shownAs}", TreeTar.Size(files));
        Step("sending the merged tree", () => target.RunStep("sending the merged tree", RemoteScripts.ReceiveTree, [remoteDir],
            input: s => TreeTar.Write(files, s, progress.Report)));
        progress.Done($"{files.Count} files");
    }

    private void Send(Target target, string localTree, string remoteDir, string shownAs)
    {
        var total = TreeTar.Size(localTree);
        var progress = new Progress(output, $"Sending to {target.Display}:{shownAs}", total);
        Step("sending the merged tree", () => target.RunStep("sending the merged tree", RemoteScripts.ReceiveTree, [remoteDir],
            input: s => TreeTar.Write(localTree, s, progress.Report)));
        progress.Done();
    }

    private void RunCommand(Target target, TargetLayout layout, string commandFile, string stage)
    {
        output.Info($"Running {Path.GetFileName(commandFile)} {target.PathOf(layout.MergeTree)} {stage} on {target.Display}");
        var bytes = File.ReadAllBytes(commandFile);
        Step("the -c command", () => target.RunStep("the -c command", RemoteScripts.RunCommand,
            [target.PathOf(layout.CommandFile), target.PathOf(layout.MergeTree), stage], input: s => s.Write(bytes), onLine: Remote));
    }

    private void Build(Target target, string tree)
    {
        var flags = IdbuildFlags(quick: false);
        output.Info($"Building on {target.Display} (idbuild {string.Join(' ', flags)})");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Step("idbuild", () => target.RunStep("idbuild", RemoteScripts.Build, [tree, Idbuild(target), target.Address.Root, .. flags], onLine: Remote));
        output.Info($"Built in {clock.Elapsed.TotalSeconds:0.0}s");
    }

    /// <summary>Runs an install plan; after a dropped connection the target's log says how it ended.</summary>
    private void Install(Target target, TargetLayout layout, InstallPlan plan)
    {
        var (script, args) = plan.Render(target.PathOf(layout.UndoDir), target.PathOf(layout.InstallLog));
        _currentStep = "installing";
        // Once begun, an install runs to its end (or is undone) on the target; an interrupt waits for it.
        var run = target.Run(script, args, onLine: Remote, uninterruptible: true);
        if (run.ExitCode == 0) return;
        var failedStep = run.Output.Split('\n').LastOrDefault(l => l.StartsWith("kstuff: step failed: ", StringComparison.Ordinal));
        if (run.ConnectionLost)
        {
            var log = target.Run(RemoteScripts.ReadLog, [target.PathOf(layout.InstallLog)], uninterruptible: true);
            var lines = log.Output.TrimEnd('\n').Split('\n');
            if (log.ExitCode == 0 && lines.Contains(InstallPlan.SuccessLine))
            {
                output.Warning($"the connection to {target.Display} dropped during the install, but the target finished it");
                return;
            }
            var how = log.ExitCode == 0 && lines.Contains(InstallPlan.UndoneLine)
                ? "the target undid it; it is as it was"
                : $"the target finishes or undoes it by itself; its log is {layout.InstallLog}";
            throw new TargetStepFailed("installing", target.Display, $"the connection was lost ({how})", log.Output);
        }
        var reason = failedStep == null ? $"exit status {run.ExitCode}" : failedStep["kstuff: step failed: ".Length..] + "; every step before it was undone";
        throw new TargetStepFailed("installing", target.Display, reason, run.Output);
    }

    private List<string> IdbuildFlags(bool quick)
    {
        var flags = new List<string> { "-B" };
        if (options.KeepTemporaries || quick) flags.Add("-K");
        if (quick) flags.Add("-Q");
        if (options.Static) flags.Add("-S");
        if (options.DebugIdbuild) flags.Add("-#");
        return flags;
    }

    /// <summary>git config kstuff.idbuild (a path on the target), or "" to look in the tree, then /etc/conf/bin.</summary>
    private string Idbuild(Target target) =>
        settings.Idbuild is { } configured
            ? configured.StartsWith('/') ? target.PathOf(configured) : throw new UserError($"git config kstuff.idbuild must be an absolute path on the target, not '{configured}'")
            : "";

    private void Remote(string line)
    {
        if (!output.Quiet) output.Err.WriteLine("remote: " + line);
    }

    private T Step<T>(string name, Func<T> body)
    {
        _currentStep = name;
        return body();
    }

    private void Step(string name, Action body)
    {
        _currentStep = name;
        body();
    }

    private void RemoveQuietly(Target target, string path)
    {
        var run = target.Run(RemoteScripts.Remove, [path], uninterruptible: true);
        if (run.ExitCode != 0) output.Warning($"could not remove the staging directory {path} on {target.Display}");
    }

    private static string HostOperand(Target target) => target.Address.IsLocal ? "local:" + target.Address.Root : target.Address.Host!;

    /// <summary>The step that was running when the delivery failed.</summary>
    public string? CurrentStep => _currentStep;
}
