using System.Globalization;
using GitKsplice.Analysis;
using GitKsplice.Build;
using GitKsplice.Git;
using GitKsplice.Processes;
using GitKsplice.Reporting;
using GitKsplice.Settings;
using GitKsplice.Updates;

namespace GitKsplice.Hooks;

/// <summary>
/// What the hooks start: queue the commit the hook fired for, then, one job at a time per repository, build
/// and analyse the update from refs/ksplice/pre to it exactly as `git ksplice create` does (no tarball, no
/// update ref), and record the verdict in the commit's refs/notes/ksplice note.
/// </summary>
public sealed class HookJob(KspliceRepository repository, HookSettings settings, ToolOutput console)
{
    private static readonly TimeSpan NotifyTimeout = TimeSpan.FromMinutes(1);
    private readonly JobFiles _files = new(repository);

    /// <summary>Queues HEAD for checking, superseding any commit still waiting. Null when there is nothing to queue.</summary>
    public JobRequest? Enqueue(string trigger)
    {
        // A rebase fires post-commit for every commit it replays; its post-rewrite queues the result at the end.
        if (trigger.StartsWith("post-commit", StringComparison.Ordinal) && RebaseInProgress()) return null;
        if (repository.Repo.Head.Tip is not { } head) return null;
        // A repository that never used git-ksplice, reached through a hooks directory shared by many (a global
        // core.hooksPath): leave no trace in it.
        if (new SeriesRefs(repository).Pre == null && !Directory.Exists(repository.StateDir)) return null;
        var request = new JobRequest(head.Sha, trigger, DateTimeOffset.UtcNow);
        _files.Enqueue(request);
        return request;
    }

    private bool RebaseInProgress() =>
        Directory.Exists(Path.Combine(repository.GitDir, "rebase-merge")) || Directory.Exists(Path.Combine(repository.GitDir, "rebase-apply"));

    /// <summary>
    /// Runs queued requests while this process holds the job lock. <paramref name="wait"/>: wait for a running
    /// job (sync mode) instead of leaving the queue to it (background mode). Returns the outcomes of the jobs run here.
    /// </summary>
    public IReadOnlyList<JobOutcome> RunQueue(bool wait, CancellationToken cancel)
    {
        var outcomes = new List<JobOutcome>();
        var holder = $"hook job in {repository.WorkDir ?? repository.GitDir}";
        while (true)
        {
            using (var held = wait ? _files.Lock(holder, console.Info, cancel) : TryLock(holder))
            {
                if (held == null) return outcomes; // the running job takes our request when it finishes its own
                CleanUpAfterDeadJob();
                while (_files.Take() is { } request)
                    outcomes.Add(Run(request, cancel));
            }
            // A request queued between our last look and the unlock would wait for nobody: look once more.
            if (_files.Queued == null) return outcomes;
            wait = false;
        }
    }

    /// <summary>
    /// The lock is briefly taken by `git ksplice status` to see whether a job runs; one retry tells that
    /// probe apart from a real job.
    /// </summary>
    private StateLock? TryLock(string holder)
    {
        if (_files.TryLock(holder) is { } held) return held;
        Thread.Sleep(100);
        return _files.TryLock(holder);
    }

    /// <summary>
    /// A job file left while we hold the lock belongs to a job that died (killed, crashed). Its build
    /// commands may still run in our build trees: they are stopped, so they never race the next build.
    /// </summary>
    private void CleanUpAfterDeadJob()
    {
        if (_files.Job is not { } dead) return;
        var killed = LeftoverProcesses.Kill(dead.ProcessGroup, repository.StateDir);
        var message = $"the job (pid {dead.Pid}) stopped while {dead.Stage}, without a verdict" +
            (killed > 0 ? $"; stopped {killed} of its build process(es) still running" : "");
        AppendLog(dead.Log, $"[{Now()}] {message}");
        _files.SaveLast(new JobOutcome(dead.Commit, dead.Trigger, JobResult.Killed, message, DateTimeOffset.UtcNow, dead.Log));
        _files.ClearJob();
    }

    private JobOutcome Run(JobRequest request, CancellationToken cancel)
    {
        var commit = request.Commit;
        var log = _files.LogPath(commit);
        Directory.CreateDirectory(_files.CommitDir(commit));
        var started = DateTimeOffset.UtcNow;
        var job = new RunningJob(Environment.ProcessId, LeftoverProcesses.OwnProcessGroup(), commit, request.Trigger,
            "starting", started, started, log);
        _files.SaveJob(job);
        JobOutcome outcome;
        using (var writer = new StreamWriter(log, append: true) { AutoFlush = true })
        {
            var output = new ToolOutput(writer, writer) { Verbosity = 1 };
            output.Info($"[{Now()}] {request.Trigger}: checking {commit} (pid {Environment.ProcessId})");
            void Stage(string stage)
            {
                job = job with { Stage = stage, StageStarted = DateTimeOffset.UtcNow };
                _files.SaveJob(job);
                output.Info($"[{Now()}] {stage}");
            }
            console.Verbose($"git-ksplice: checking {commit[..12]} (log: {log})");
            try
            {
                outcome = Check(request, log, output, Stage, cancel);
            }
            catch (OperationCanceledException)
            {
                output.Info($"[{Now()}] interrupted");
                _files.SaveLast(new JobOutcome(commit, request.Trigger, JobResult.Interrupted, $"interrupted while {job.Stage}", DateTimeOffset.UtcNow, log));
                _files.ClearJob();
                throw;
            }
            catch (Exception e)
            {
                // One failed job must not stop the queue; the log keeps the details.
                output.Error(e is UserError or FormatException ? e.Message : e.ToString());
                outcome = new JobOutcome(commit, request.Trigger, JobResult.Error, e.Message, DateTimeOffset.UtcNow, log);
            }
            output.Info($"[{Now()}] {outcome.Outcome.Word()}: {outcome.Message} ({(DateTimeOffset.UtcNow - started).TotalSeconds:0.0} s)");
        }
        _files.SaveLast(outcome);
        _files.ClearJob();
        console.Info($"git-ksplice: {commit[..12]}: {outcome.Outcome.Word()}{(outcome.Message.Length > 0 ? ": " + outcome.Message : "")}");
        return outcome;
    }

    private JobOutcome Check(JobRequest request, string log, ToolOutput output, Action<string> stage, CancellationToken cancel)
    {
        var commit = request.Commit;
        JobOutcome Skipped(string why) => new(commit, request.Trigger, JobResult.Skipped, why, DateTimeOffset.UtcNow, log);

        if (new SeriesRefs(repository).Pre is not { } pre)
            return Skipped($"no {SeriesRefs.PreRef}: mark the running kernel's source with 'git ksplice series set <commit>'");
        if (pre.Sha == commit)
            return Skipped($"the commit is {SeriesRefs.PreRef} itself");
        var notes = new UpdateStore(repository).Notes;
        if (Verdict.FromNote(commit, notes.Read(commit)) is { } known && known.Pre == pre.Sha && known.Kind != UpdateVerdict.BuildFailed)
            return Skipped($"already checked against {pre.Sha[..12]}: {known.Kind.Word()}");

        stage("preparing the build trees");
        var creator = new UpdateCreator(repository, new ElfObjectAnalyzer(), output) { OnStage = stage };
        var create = new CreateRequest(new CommitChange(commit))
        {
            Id = UpdateId.Parse("hook-" + commit[..12]),
            // try loads the module from the tarball, which is otherwise not written.
            OutputDirectory = settings.Try ? _files.CommitDir(commit) : null,
            Record = false,
        };
        var outcome = creator.Create(create, cancel);
        var now = DateTimeOffset.UtcNow;
        var verdict = outcome switch
        {
            CreateOutcome.Built built =>
                Verdict.FromManifest(UpdateVerdict.HotPatchable, commit, built.Manifest, log, SaveManifest(commit, built.Manifest), now),
            CreateOutcome.Unsafe refused =>
                Verdict.FromManifest(UpdateVerdict.Unsafe, commit, refused.Manifest, log, SaveManifest(commit, refused.Manifest), now),
            CreateOutcome.BuildFailed failed => new Verdict(UpdateVerdict.BuildFailed, commit, pre.Sha, now, [], [], [], [], failed.Reason, failed.Log, null),
            CreateOutcome.NoCodeChange none => new Verdict(UpdateVerdict.NoCodeChange, commit, pre.Sha, now, [], [], [], [], none.Reason, log, null),
            _ => throw new InvalidOperationException($"unknown create outcome {outcome.GetType().Name}"),
        };
        if (settings.Try && outcome is CreateOutcome.Built update)
            verdict = verdict with { Tried = Try(commit, update, output, stage, cancel) };

        stage("recording the verdict");
        notes.Edit(new Dictionary<string, Func<string?, string?>> { [commit] = note => verdict.MergeInto(note) },
            $"ksplice verdict on {commit[..12]}: {verdict.Kind.Word()}");
        Notify(verdict, output, stage, cancel);
        return new JobOutcome(commit, request.Trigger, JobResults.Of(verdict.Kind), verdict.Summary, DateTimeOffset.UtcNow, log);
    }

    /// <summary>ksplice.hook.try: the update loaded live in a VM, after the updates it follows in its series.</summary>
    private string Try(string commit, CreateOutcome.Built result, ToolOutput output, Action<string> stage, CancellationToken cancel)
    {
        try
        {
            var plan = new TrialPlan(repository);
            var before = result.Manifest.Module?.Follows is { } follows ? plan.Updates([UpdateId.Parse(follows)], output.Info) : [];
            var request = new TrialRequest([.. before.Select(TrialPlan.Input), new TrialInput(UpdateTarball.Open(result.Tarball!))],
                plan.Kernel(null, null), _files.TryLogPath(commit))
            {
                Checks = settings.Checks ?? [],
                KernelModules = (settings.Modules ?? []).Select(m => Path.GetFullPath(m, repository.WorkDir ?? repository.CommonDir)).ToList(),
            };
            var report = UpdateTrial.Run(request, stage, cancel);
            foreach (var failure in report.Failures) output.Error("try: " + failure);
            return report.Passed
                ? $"passed in {report.Elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s"
                : $"failed: {report.Failures[0]}; serial log: {report.SerialLog}";
        }
        catch (UserError e)
        {
            output.Error("try: " + e.Message);
            return "not run: " + e.Message;
        }
    }

    private string SaveManifest(string commit, Manifest manifest)
    {
        var path = _files.ManifestPath(commit);
        AtomicFile.WriteAllText(path, manifest.ToJson());
        return path;
    }

    /// <summary>
    /// ksplice.hook.notify: run by the shell as `&lt;command&gt; &lt;verdict&gt; &lt;commit&gt; &lt;summary&gt;`, the verdict's
    /// note record on stdin and KSPLICE_* variables set. Its output goes to the job's log; a failure is only logged.
    /// </summary>
    private void Notify(Verdict verdict, ToolOutput output, Action<string> stage, CancellationToken cancel)
    {
        if (settings.Notify is not { } command) return;
        stage("running the notify command");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        timeout.CancelAfter(NotifyTimeout);
        var env = new Dictionary<string, string?>
        {
            ["KSPLICE_VERDICT"] = verdict.Kind.Word(),
            ["KSPLICE_COMMIT"] = verdict.Commit,
            ["KSPLICE_SUMMARY"] = verdict.Summary,
            ["KSPLICE_LOG"] = verdict.Log,
        };
        try
        {
            var r = CommandRunner.Run(repository.WorkDir ?? repository.GitDir, "/bin/sh",
                ["-c", command + " \"$@\"", command, verdict.Kind.Word(), verdict.Commit, verdict.Summary], env, verdict.ToRecord().ToString(), timeout.Token);
            if (r.StdOut.Length > 0) output.Info(r.StdOut.TrimEnd());
            if (r.StdErr.Length > 0) output.Info(r.StdErr.TrimEnd());
            if (!r.Succeeded) output.Warning($"{KspliceConfigKeys.HookNotify.Name} command exited with {r.ExitCode}");
        }
        catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
        {
            output.Warning($"{KspliceConfigKeys.HookNotify.Name} command took longer than {NotifyTimeout.TotalSeconds:0} s; stopped");
        }
    }

    private static void AppendLog(string path, string line)
    {
        try { File.AppendAllText(path, line + "\n"); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    private static string Now() => DateTimeOffset.UtcNow.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
