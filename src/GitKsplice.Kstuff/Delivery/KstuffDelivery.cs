using GitKsplice.Git;
using GitKsplice.Json;
using GitKsplice.Kstuff.Bundles;
using GitKsplice.Kstuff.Config;
using GitKsplice.Kstuff.Merge;
using GitKsplice.Kstuff.Options;
using GitKsplice.Kstuff.Targets;
using GitKsplice.Processes;
using GitKsplice.Reporting;
using GitKsplice.Transport;

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

/// <summary>What a delivery reads from git config, read once, before anything runs.</summary>
/// <param name="Idbuild">kstuff.idbuild, an absolute path on the target; null to look in the tree, then /etc/conf/bin.</param>
public sealed record DeliverySettings(IReadOnlyList<string> SshCommand, bool Multiplex, string? Idbuild)
{
    public static DeliverySettings From(KstuffSettings settings)
    {
        var idbuild = settings.Idbuild is { Length: > 0 } configured ? configured : null;
        if (idbuild != null && !idbuild.StartsWith('/'))
            throw new UserError($"git config kstuff.idbuild must be an absolute path on the target, not '{idbuild}'");
        return new DeliverySettings(settings.SshCommand, settings.SshMultiplex, idbuild);
    }
}

/// <summary>What to deliver, and where: everything a delivery needs, resolved by the command before it starts.</summary>
/// <param name="Source">The $ROOT/$MACH chosen (batch mode, or the menu).</param>
/// <param name="CommandFiles">The -c command files, found already.</param>
public sealed record DeliveryRequest(
    DeliveryMode Mode,
    KstuffOptions Options,
    MachineTree Source,
    IReadOnlyList<DatabaseFile> Databases,
    TargetAddress Address,
    TargetLayout Layout,
    IReadOnlyList<string> CommandFiles,
    IReadOnlyDictionary<string, string>? Renames,
    DeliverySettings Settings);

/// <summary>
/// The delivery of kstuff(1): bundle $ROOT/$MACH when needed, read the target's configuration, merge here,
/// stage the merged tree on the target, run the -c command, idbuild and idmknod there, then install — the
/// unix rotation for kname unix. Nothing live on the target changes before the build succeeded, and a failed
/// step leaves the target as it was (the staging directory is removed, an install is undone step by step).
/// A request goes in; an outcome comes out, recorded in the bundle's note in one place whatever it is.
/// </summary>
public sealed class KstuffDelivery(KspliceRepository repository, ToolOutput output)
{
    /// <summary>The mode the options ask for; -I, -M and -Q exclude each other.</summary>
    public static DeliveryMode ModeOf(KstuffOptions o)
    {
        var asked = new[] { (o.IdbuildOnly, "-I"), (o.MergeOnly, "-M"), (o.Quick, "-Q") }.Where(m => m.Item1).Select(m => m.Item2).ToList();
        if (asked.Count > 1) throw new UserError($"{string.Join(" and ", asked)} cannot be used together", ExitCodes.Usage);
        return o.IdbuildOnly ? DeliveryMode.BuildOnly : o.MergeOnly ? DeliveryMode.MergeOnly : o.Quick ? DeliveryMode.Quick : DeliveryMode.Normal;
    }

    /// <summary>What the steps on the target send, and which commit's note records the delivery.</summary>
    private sealed record Prepared(string BundlePath, string NoteCommit, IReadOnlyList<QuickFile> QuickFiles);

    /// <summary>
    /// Delivers. Bad input and a bundle that cannot be built throw before the target is touched; from the
    /// lock on, whatever happens ends in the outcome, already recorded. <paramref name="interrupt"/> (^C) stops
    /// the running step; the clean-up on the target still runs.
    /// </summary>
    public DeliveryOutcome Run(DeliveryRequest request, CancellationToken interrupt)
    {
        var work = new KstuffStateLayout(repository.CommonDir).DeliveryWork(Environment.ProcessId);
        RemoveInterruptedWork(interrupt);
        var prepared = Prepare(request, interrupt);
        using var target = KernelHost.Open(request.Address.Machine, request.Settings.SshCommand, request.Settings.Multiplex, scriptName: "kstuff");
        target.Interrupt = interrupt;
        // Nothing of a delivery is left running on the target once its connection closes, but the install.
        target.StepsStopWithConnection = true;
        try
        {
            Directory.CreateDirectory(work);
            var outcome = new OnTarget(request, target, output, work).Deliver(prepared);
            // Interrupted or not, the outcome is recorded before the command exits.
            using var recording = ChildProcesses.CleanUp();
            new DeliveryNotes(repository).Record(prepared.NoteCommit, File.Exists(prepared.BundlePath) ? prepared.BundlePath : null, outcome.Record);
            return outcome;
        }
        finally
        {
            // Interrupted, the command must stop within a second: what it unpacked here (a bundle's tree may be
            // hundreds of MB) is left to the next delivery, once the target is clean and the outcome recorded.
            if (!interrupt.IsCancellationRequested && Directory.Exists(work)) Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>
    /// Removes the work directories of deliveries that were interrupted (their process is gone), a directory at
    /// a time so that an interrupt stops this too.
    /// </summary>
    private void RemoveInterruptedWork(CancellationToken interrupt)
    {
        foreach (var (dir, pid) in new KstuffStateLayout(repository.CommonDir).DeliveryWorkDirectories().ToList())
            if (pid != Environment.ProcessId && !Directory.Exists($"/proc/{pid}"))
                RemoveTree(new DirectoryInfo(dir), interrupt);

        static void RemoveTree(DirectoryInfo dir, CancellationToken interrupt)
        {
            interrupt.ThrowIfCancellationRequested();
            foreach (var entry in dir.EnumerateFileSystemInfos())
                if (entry is DirectoryInfo sub && sub.LinkTarget == null) RemoveTree(sub, interrupt);
                else entry.Delete();
            dir.Delete();
        }
    }

    /// <summary>The bundle (built when missing or stale, except for -I and -Q) and, for -Q, the changed Driver.o files.</summary>
    private Prepared Prepare(DeliveryRequest request, CancellationToken interrupt)
    {
        var head = repository.ResolveCommit("HEAD");
        var bundleRequest = new BundleRequest(request.Source.Root, request.Source.Mach, request.Databases, request.Options.ForceBundle,
            request.Options.Idtools, CheckOnly: false, request.Source.CrossIdtools, head.Committer.When)
        { Cancel = interrupt };
        var bundlePath = BundleBuilder.Locate(bundleRequest).Path;
        string? noteCommit = null;
        IReadOnlyList<QuickFile> quickFiles = [];
        switch (request.Mode)
        {
            case DeliveryMode.Quick:
                noteCommit = QuickChanges.FindNote(repository, bundlePath).Commit;
                var (changed, added) = QuickChanges.Changed(bundlePath, request.Source.Path);
                foreach (var driver in added)
                    output.Warning($"driver {driver} is not in the bundle: -Q sends no configuration, so deliver without -Q to add it");
                quickFiles = changed;
                break;
            case DeliveryMode.BuildOnly:
                break;
            default:
                var built = BundleBuilder.Build(bundleRequest, DateTimeOffset.UtcNow);
                bundlePath = built.BundlePath;
                if (built.Note != null)
                {
                    new BundleNotes(repository).Record(head.Sha, built.Note);
                    noteCommit = head.Sha;
                    output.Info($"Bundle {built.BundlePath}: built ({built.Reason}), {Progress.Size(built.Note.Size)}, {built.Note.Drivers.Count} drivers");
                }
                else output.Info($"Bundle {built.BundlePath}: {built.Reason}");
                break;
        }
        noteCommit ??= new BundleNotes(repository).All().LastOrDefault(b => b.Note.Path == bundlePath)?.Commit ?? head.Sha;
        return new Prepared(bundlePath, noteCommit, quickFiles);
    }

    /// <summary>A step that failed: the typed step, and what went wrong (a user error, or the interrupt).</summary>
    private sealed class StepFailed(DeliveryStep step, Exception cause) : Exception(cause.Message, cause)
    {
        public DeliveryStep Step { get; } = step;
    }

    /// <summary>The steps of one delivery on one target.</summary>
    private sealed class OnTarget(DeliveryRequest request, KernelHost target, ToolOutput output, string workRoot)
    {
        private readonly KstuffOptions _options = request.Options;
        private readonly TargetLayout _layout = request.Layout;
        private readonly DeliveryMode _mode = request.Mode;

        /// <summary>
        /// Staging paths on the target that are ours to remove unless the delivery finishes: removed with the lock
        /// in one remote call, so that an interrupted delivery cleans up in one round trip.
        /// </summary>
        private readonly List<string> _leftovers = [];

        public DeliveryOutcome Deliver(Prepared prepared)
        {
            var started = DateTimeOffset.UtcNow;
            DeliveryRecord Record(DeliveryResult result, DeliveryStep? step = null, string? error = null, IReadOnlyList<string>? drivers = null) =>
                new(target.Display, _layout.Kname, _mode, started, result, step, error, drivers);
            try
            {
                // Under a root on a host, resolving a path is already a step there (a missing root fails it).
                var lockDir = Step(DeliveryStep.Locking, () => target.PathOf(_layout.LockDir));
                var holder = $"{TargetLayout.Login()}@{System.Net.Dns.GetHostName()} pid {Environment.ProcessId} since {WireTime.Format(started)}";
                RunStep(DeliveryStep.Locking, RemoteScripts.Lock, [lockDir, holder], label: $"locking {_layout.LockDir}");
                try
                {
                    var drivers = _mode switch
                    {
                        DeliveryMode.BuildOnly => BuildOnly(),
                        DeliveryMode.Quick => Quick(prepared.QuickFiles),
                        _ => Full(prepared.BundlePath),
                    };
                    return new DeliveryOutcome(Record(DeliveryResult.Ok, drivers: drivers));
                }
                finally
                {
                    string[] ours = [.. _leftovers, lockDir];
                    if (target.Run(RemoteScripts.Remove, ours, uninterruptible: true).ExitCode != 0)
                        output.Warning($"could not remove {string.Join(", ", ours)} on {target.Display}");
                }
            }
            catch (StepFailed failed) when (failed.InnerException is OperationCanceledException)
            {
                return new DeliveryOutcome(Record(DeliveryResult.Interrupted, failed.Step));
            }
            catch (StepFailed failed)
            {
                var error = failed.InnerException as UserError ?? new UserError(failed.Message, inner: failed.InnerException);
                // The build, the -c command and the install stream their output as they run, unless -q.
                var streamed = !output.Quiet && failed.Step is DeliveryStep.Idbuild or DeliveryStep.RunningCommand or DeliveryStep.Installing;
                var remote = failed.InnerException is HostStepFailed onTarget && !streamed ? onTarget.RemoteOutput : "";
                return new DeliveryOutcome(Record(DeliveryResult.Failed, failed.Step, error.Message), error, remote);
            }
        }

        private IReadOnlyList<string> Full(string bundlePath)
        {
            using var source = Step(DeliveryStep.ReadingBundle, () => OpenedTree.Open(bundlePath, TreeSide.Source, workRoot, target.Interrupt));
            output.Info($"Reading the configuration of {target.Display}:{_layout.MergeTree}");
            var targetTree = Step(DeliveryStep.ReadingConfiguration, () => TargetReader.ReadConfiguration(target, _layout.MergeTree));
            var devMajors = Step(DeliveryStep.ListingDevices, () => TargetReader.ReadDeviceMajors(target));

            var merge = Step(DeliveryStep.Merging, () => ConfigMerge.Merge(source.Tree, targetTree, new MergeOptions
            {
                Stuff = _options.Stuff,
                Renames = request.Renames ?? new Dictionary<string, string>(),
                DevMajors = devMajors,
            }));
            foreach (var warning in merge.Warnings) output.Warning("WARNING: " + warning);
            foreach (var d in merge.Decisions) output.Verbose($"  {d.Name}: {MergeNames.Fates[d.Fate]}: {d.Reason}");
            var included = merge.Decisions.Where(d => d.Incorporated).Select(d => d.Name).ToList();
            output.Info($"Merged {included.Count} drivers ({merge.SourceOnlyIncluded.Count()} from the source only, {merge.Warnings.Count} warnings)");

            var stage = target.PathOf(_layout.StagingTree);
            // From here on the staging directory is ours to remove, whatever fails.
            _leftovers.Add(stage);
            SendTree(DeliveryStep.SendingMergedTree, merge.Merged.Files().ToList(), stage, _layout.StagingTree);
            var fromTarget = merge.Decisions.Where(d => d.Fate is DriverFate.TargetOnlyKept or DriverFate.TakenFromTarget).Select(d => d.Name).ToList();
            if (fromTarget.Count > 0)
                RunStep(DeliveryStep.CopyingTargetDrivers, RemoteScripts.CopyDriverPacks, [target.PathOf(_layout.MergeTree), stage, .. fromTarget]);
            foreach (var command in request.CommandFiles) RunCommand(command, stage);
            if (_mode == DeliveryMode.MergeOnly)
            {
                if (_layout.IsUnix)
                {
                    _leftovers.Remove(stage);
                    output.Info($"Merged tree left in {target.Display}:{_layout.StagingTree}; 'git kstuff -I {HostOperand()}:unix' builds and installs it");
                    return included;
                }
                Install(InstallPlans.Named(target, _layout, moveTree: true, installKernel: false));
                _leftovers.Remove(stage);
                output.Info($"Merged tree installed as {target.Display}:{_layout.ConfTree} (no idbuild: -M)");
                return included;
            }
            Build(stage);
            var sourceOnly = merge.SourceOnlyIncluded.ToList();
            if (sourceOnly.Count > 0) output.Info($"Device nodes for {string.Join(", ", sourceOnly)} come last (idmknod -s: no node is removed)");
            var plan = _layout.IsUnix ? InstallPlans.UnixRotation(target) : InstallPlans.Named(target, _layout, moveTree: true, installKernel: true);
            Install(plan.WithDeviceNodes(target, Idbuild(), sourceOnly));
            _leftovers.Remove(stage);
            output.Info($"Installed {target.Display}:{_layout.Kernel} and {_layout.ConfTree}");
            return included;
        }

        /// <summary>-I: idbuild the tree already on the target and install its kernel.</summary>
        private IReadOnlyList<string> BuildOnly()
        {
            if (_layout.IsUnix)
            {
                // A tree left by "-M host:unix" waits in /etc/.kbundle: it is built and rotated in.
                var pending = Step(DeliveryStep.FindingPendingTree, () => target.Run("[ -d \"$1\" ]", [target.PathOf(_layout.StagingTree)])).ExitCode == 0;
                if (pending)
                {
                    Build(target.PathOf(_layout.StagingTree));
                    Install(InstallPlans.UnixRotation(target));
                }
                else
                {
                    Build(target.PathOf(_layout.ConfTree));
                    Install(InstallPlans.UnixKernelOnly(target));
                }
            }
            else
            {
                Build(target.PathOf(_layout.ConfTree));
                Install(InstallPlans.Named(target, _layout, moveTree: false, installKernel: true));
            }
            output.Info($"Installed {target.Display}:{_layout.Kernel}");
            return [];
        }

        /// <summary>
        /// -Q: the changed Driver.o files replace the tree's (the old ones kept until the end), idbuild -KQ
        /// runs in the tree, and the kernel is installed; all one plan, undone as a whole if a step fails.
        /// </summary>
        private IReadOnlyList<string> Quick(IReadOnlyList<QuickFile> files)
        {
            if (files.Count == 0)
            {
                output.Info("No Driver.o changed since the bundle was built: nothing to send");
                return [];
            }
            var local = Path.Combine(workRoot, "quick");
            Step(DeliveryStep.SendingChangedDrivers, () =>
            {
                foreach (var f in files)
                {
                    var dest = Path.Combine(local, "pack.d", f.Driver, "Driver.o");
                    Directory.CreateDirectory(Path.GetDirectoryName(dest)!);
                    File.Copy(f.LocalPath, dest);
                }
            });
            output.Info($"Sending {files.Count} changed Driver.o: {string.Join(", ", files.Select(f => f.Driver))}");
            var quickStage = target.PathOf(_layout.QuickStage);
            _leftovers.Add(quickStage);
            var progress = new Progress(output, $"Sending to {target.Display}:{_layout.QuickStage}", TreeTar.Size(local));
            RunStep(DeliveryStep.SendingChangedDrivers, RemoteScripts.ReceiveTree, [quickStage], input: s => TreeTar.Write(local, s, progress.Report));
            progress.Done();
            var plan = new InstallPlan()
                .Variable("T", target.PathOf(_layout.ConfTree))
                .Variable("Q", quickStage)
                .Variable("S", target.PathOf(_layout.ConfTree))
                .Variable("IDB", Idbuild())
                .Variable("SYSIDB", target.PathOf(TargetLayout.SystemIdbuild))
                .Step($"replace the changed drivers in {_layout.ConfTree}",
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
            var kernelPlan = _layout.IsUnix ? InstallPlans.UnixKernelOnly(target) : InstallPlans.Named(target, _layout, moveTree: false, installKernel: true);
            foreach (var step in kernelPlan.Steps) plan.Step(step.Name, step.Do, step.Undo);
            plan.Variable("C", target.PathOf(_layout.ConfTree)).Variable("ST", target.PathOf(TargetLayout.StandDir)).Variable("K", _layout.Kname);
            plan.Commit = kernelPlan.Commit + $"\nrm -rf \"$Q\"";
            Install(plan);
            _leftovers.Remove(quickStage); // the plan's commit removed it
            output.Info($"Installed {target.Display}:{_layout.Kernel} (idbuild -KQ)");
            return files.Select(f => f.Driver).ToList();
        }

        private void SendTree(DeliveryStep step, IReadOnlyList<TreeFile> files, string remoteDir, string shownAs)
        {
            var progress = new Progress(output, $"Sending to {target.Display}:{shownAs}", TreeTar.Size(files));
            RunStep(step, RemoteScripts.ReceiveTree, [remoteDir], input: s => TreeTar.Write(files, s, progress.Report));
            progress.Done($"{files.Count} files");
        }

        private void RunCommand(string commandFile, string stage)
        {
            output.Info($"Running {Path.GetFileName(commandFile)} {target.PathOf(_layout.MergeTree)} {stage} on {target.Display}");
            var bytes = File.ReadAllBytes(commandFile);
            var file = target.PathOf(_layout.CommandFile);
            _leftovers.Add(file);
            RunStep(DeliveryStep.RunningCommand, RemoteScripts.ReceiveCommand, [file], input: s => s.Write(bytes));
            RunStep(DeliveryStep.RunningCommand, RemoteScripts.RunCommand, [file, target.PathOf(_layout.MergeTree), stage], onLine: Remote);
            _leftovers.Remove(file); // the command's script removed it
        }

        private void Build(string tree)
        {
            var flags = IdbuildFlags(quick: false);
            output.Info($"Building on {target.Display} (idbuild {string.Join(' ', flags)})");
            var clock = System.Diagnostics.Stopwatch.StartNew();
            RunStep(DeliveryStep.Idbuild, RemoteScripts.Build, [tree, Idbuild(), target.PathOf(TargetLayout.SystemIdbuild), .. flags], onLine: Remote);
            output.Info($"Built in {clock.Elapsed.TotalSeconds:0.0}s");
        }

        /// <summary>Runs an install plan; after a dropped connection the target's log says how it ended.</summary>
        private void Install(InstallPlan plan) => Step(DeliveryStep.Installing, () =>
        {
            var (script, args) = plan.Render(target.PathOf(_layout.UndoDir), target.PathOf(_layout.InstallLog));
            // Once begun, an install runs to its end (or is undone) on the target; an interrupt waits for it.
            var run = target.Run(script, args, onLine: Remote, uninterruptible: true);
            if (run.ExitCode == 0) return;
            var label = DeliveryNames.Label(DeliveryStep.Installing);
            var failedStep = run.Output.Split('\n').LastOrDefault(l => l.StartsWith("kstuff: step failed: ", StringComparison.Ordinal));
            if (run.ConnectionLost)
            {
                var log = target.Run(RemoteScripts.ReadLog, [target.PathOf(_layout.InstallLog)], uninterruptible: true);
                var lines = log.Output.TrimEnd('\n').Split('\n');
                if (log.ExitCode == 0 && lines.Contains(InstallPlan.SuccessLine))
                {
                    output.Warning($"the connection to {target.Display} dropped during the install, but the target finished it");
                    return;
                }
                var how = log.ExitCode == 0 && lines.Contains(InstallPlan.UndoneLine)
                    ? "the target undid it; it is as it was"
                    : $"the target finishes or undoes it by itself; its log is {_layout.InstallLog}";
                throw new HostStepFailed(label, target.Display, $"the connection was lost ({how})", log.Output);
            }
            var reason = failedStep == null ? $"exit status {run.ExitCode}" : failedStep["kstuff: step failed: ".Length..] + "; every step before it was undone";
            throw new HostStepFailed(label, target.Display, reason, run.Output);
        });

        private List<string> IdbuildFlags(bool quick)
        {
            var flags = new List<string> { "-B" };
            if (_options.KeepTemporaries || quick) flags.Add("-K");
            if (quick) flags.Add("-Q");
            if (_options.Static) flags.Add("-S");
            if (_options.DebugIdbuild) flags.Add("-#");
            return flags;
        }

        /// <summary>git config kstuff.idbuild under the target's root, or "" to look in the tree, then /etc/conf/bin.</summary>
        private string Idbuild() => request.Settings.Idbuild is { } configured ? target.PathOf(configured) : "";

        private void Remote(string line)
        {
            if (!output.Quiet) output.Err.WriteLine("remote: " + line);
        }

        /// <summary>Runs a script on the target as the named step; anything but success fails the step.</summary>
        private void RunStep(DeliveryStep step, string script, IReadOnlyList<string> args, Action<Stream>? input = null,
            Action<string>? onLine = null, string? label = null) =>
            Step(step, () => target.RunStep(label ?? DeliveryNames.Label(step), script, args, input, onLine: onLine));

        private static void Step(DeliveryStep step, Action body) => Step(step, () => { body(); return 0; });

        /// <summary>Runs one step: a user error, a malformed file or an interrupt inside it becomes the failure of that step.</summary>
        private static T Step<T>(DeliveryStep step, Func<T> body)
        {
            try { return body(); }
            catch (Exception e) when (e is UserError or FormatException or OperationCanceledException or IOException or UnauthorizedAccessException)
            {
                throw new StepFailed(step, e);
            }
        }

        private string HostOperand() => target.Address.IsLocal ? "local:" + target.Address.Root : target.Address.Host!;
    }
}
