using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using GitKsplice.Build;
using GitKsplice.Git;
using GitKsplice.Json;
using GitKsplice.Updates;

namespace GitKsplice.Hooks;

/// <summary>A commit waiting to be checked.</summary>
public sealed record JobRequest(string Commit, string Trigger, DateTimeOffset Queued);

/// <summary>The job now running (or, when its lock is free, the job that died while running).</summary>
public sealed record RunningJob(int Pid, int ProcessGroup, string Commit, string Trigger, string Stage,
    DateTimeOffset Started, DateTimeOffset StageStarted, string Log);

/// <summary>How a job ended: with a verdict, or skipped, failed with an error, interrupted or killed.</summary>
[JsonConverter(typeof(JobResultConverter))]
public enum JobResult { HotPatchable, Unsafe, NoCodeChange, BuildFailed, Skipped, Error, Interrupted, Killed }

/// <summary>The words of the job results, stable on the wire (last.json, status): a verdict's own word, or skipped, error, interrupted, killed.</summary>
public static class JobResults
{
    public static readonly WireTable<JobResult> Words = new(
        (JobResult.HotPatchable, UpdateVerdict.HotPatchable.Word()),
        (JobResult.Unsafe, UpdateVerdict.Unsafe.Word()),
        (JobResult.NoCodeChange, UpdateVerdict.NoCodeChange.Word()),
        (JobResult.BuildFailed, UpdateVerdict.BuildFailed.Word()),
        (JobResult.Skipped, "skipped"),
        (JobResult.Error, "error"),
        (JobResult.Interrupted, "interrupted"),
        (JobResult.Killed, "killed"));

    public static string Word(this JobResult result) => Words[result];

    public static JobResult Of(UpdateVerdict verdict) => verdict switch
    {
        UpdateVerdict.HotPatchable => JobResult.HotPatchable,
        UpdateVerdict.Unsafe => JobResult.Unsafe,
        UpdateVerdict.NoCodeChange => JobResult.NoCodeChange,
        UpdateVerdict.BuildFailed => JobResult.BuildFailed,
        _ => throw new ArgumentOutOfRangeException(nameof(verdict)),
    };
}

/// <summary>A job result in the job files, by its word.</summary>
public sealed class JobResultConverter() : WireTableConverter<JobResult>(JobResults.Words);

/// <summary>How the last job ended.</summary>
public sealed record JobOutcome(string Commit, string Trigger, JobResult Outcome, string Message, DateTimeOffset Finished, string Log);

/// <summary>
/// The hook's state under $GIT_COMMON_DIR/ksplice/hook/: one queue slot (the newest request wins), the job
/// lock (flock: a dead job never holds it), the running job's description, the last outcome, and per commit
/// a directory with the job's log and the manifest of the validation run.
/// </summary>
public sealed class JobFiles(KspliceRepository repository)
{
    public string Dir { get; } = repository.Layout.Hook;
    public string LockFile => Path.Combine(Dir, "job.lock");
    private string QueueFile => Path.Combine(Dir, "queue.json");
    private string JobFile => Path.Combine(Dir, "job.json");
    private string LastFile => Path.Combine(Dir, "last.json");

    public string CommitDir(string commit) => Path.Combine(Dir, commit);
    public string LogPath(string commit) => Path.Combine(CommitDir(commit), "log");
    public string ManifestPath(string commit) => Path.Combine(CommitDir(commit), "manifest.json");
    public string TryLogPath(string commit) => Path.Combine(CommitDir(commit), "try.log");

    /// <summary>Puts a request in the queue slot, replacing (superseding) any request still waiting there.</summary>
    public void Enqueue(JobRequest request) => AtomicFile.WriteAllText(QueueFile, Serialize(request, HookJsonContext.Relaxed.JobRequest));

    public JobRequest? Queued => Read(QueueFile, HookJsonContext.Relaxed.JobRequest);

    /// <summary>Takes the waiting request, if any. The rename makes taking atomic: a request queued meanwhile lands in a new file.</summary>
    public JobRequest? Take()
    {
        var taken = Path.Combine(Dir, $".queue.{Environment.ProcessId}.taken");
        try { File.Move(QueueFile, taken, overwrite: true); }
        catch (FileNotFoundException) { return null; }
        catch (DirectoryNotFoundException) { return null; }
        try { return Read(taken, HookJsonContext.Relaxed.JobRequest); }
        finally { File.Delete(taken); }
    }

    public StateLock? TryLock(string holder) => StateLock.TryAcquire(LockFile, holder);

    public StateLock Lock(string holder, Action<string> onWait, CancellationToken cancel) =>
        StateLock.Acquire(LockFile, holder, onWait, cancel);

    /// <summary>Whether a live job holds the lock now.</summary>
    public bool IsRunning => StateLock.IsHeld(LockFile);

    /// <summary>The job file: the running job while the lock is held, else one that died before it could clear it.</summary>
    public RunningJob? Job => Read(JobFile, HookJsonContext.Relaxed.RunningJob);

    public void SaveJob(RunningJob job) => AtomicFile.WriteAllText(JobFile, Serialize(job, HookJsonContext.Relaxed.RunningJob));

    public void ClearJob() => File.Delete(JobFile);

    public JobOutcome? Last => Read(LastFile, HookJsonContext.Relaxed.JobOutcome);

    public void SaveLast(JobOutcome outcome) => AtomicFile.WriteAllText(LastFile, Serialize(outcome, HookJsonContext.Relaxed.JobOutcome));

    private static string Serialize<T>(T value, JsonTypeInfo<T> type) => JsonSerializer.Serialize(value, type) + "\n";

    private static T? Read<T>(string path, JsonTypeInfo<T> type) where T : class
    {
        try { return JsonSerializer.Deserialize(File.ReadAllText(path), type); }
        catch (FileNotFoundException) { return null; }
        catch (DirectoryNotFoundException) { return null; }
        catch (JsonException) { return null; } // a file cut short by a crash reads as absent
    }
}
