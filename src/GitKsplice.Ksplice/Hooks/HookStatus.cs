using GitKsplice.Git;
using GitKsplice.Settings;
using GitKsplice.Updates;
using LibGit2Sharp;

namespace GitKsplice.Hooks;

/// <summary>A verdict with the commit's subject, for listings.</summary>
public sealed record VerdictEntry(string Commit, string Subject, Verdict Verdict);

/// <summary>Everything `git ksplice status` shows: the running and queued jobs, how the last one ended, the last verdicts.</summary>
public sealed record HookStatusReport(
    HookMode Mode, string? HooksDir, IReadOnlyList<HookFileStatus> Hooks, string? Pre,
    RunningJob? Running, JobRequest? Queued, JobOutcome? LastJob, IReadOnlyList<VerdictEntry> Verdicts, string LogDir)
{
    public static HookStatusReport Read(KspliceRepository repository, int verdictCount)
    {
        var files = new JobFiles(repository);
        string? hooksDir = null;
        IReadOnlyList<HookFileStatus> hooks = [];
        if (repository.WorkDir != null)
        {
            var installer = new HookInstaller(repository);
            hooksDir = installer.HooksDir;
            hooks = installer.Status();
        }
        // Read the job file before probing the lock: a job that ends between the two then reads as finished,
        // never as dead.
        var job = files.Job;
        var running = job != null && files.IsRunning ? job : null;
        var last = files.Last;
        if (job != null && running == null && files.Job != null)
            last = new JobOutcome(job.Commit, job.Trigger, JobResult.Killed,
                $"the job (pid {job.Pid}) stopped while {job.Stage}, without a verdict", job.StageStarted, job.Log);

        var verdicts = new UpdateStore(repository).Notes.ReadAll()
            .Where(n => n.Value.Contains(Verdict.RecordKind + ": ", StringComparison.Ordinal)) // parse only notes with a verdict
            .Select(n => Verdict.FromNote(n.Key, n.Value))
            .OfType<Verdict>()
            .OrderByDescending(v => v.Checked)
            .Take(verdictCount)
            .Select(v => new VerdictEntry(v.Commit, Subject(repository, v.Commit), v))
            .ToList();
        return new HookStatusReport(HookSettings.Read(repository).Mode, hooksDir, hooks,
            new SeriesRefs(repository).Pre?.Sha, running, files.Queued, last, verdicts, files.Dir);
    }

    public static string Subject(KspliceRepository repository, string commit) =>
        repository.Repo.Lookup<Commit>(commit)?.MessageShort ?? "";
}
