using GitKsplice.Cli;
using LibGit2Sharp;

namespace GitKsplice.Git;

/// <summary>One move of refs/ksplice/pre, from its reflog.</summary>
public sealed record SeriesMove(string From, string To, DateTimeOffset When, string Reason);

/// <summary>
/// The state of the update series, kept in refs: refs/ksplice/pre marks the source the running kernel was
/// built from; refs/ksplice/updates/&lt;id&gt; keeps each update's post commit reachable so gc never drops it.
/// Every move of the pre ref goes through git update-ref with a reason in its reflog and the old value checked.
/// </summary>
public sealed class SeriesRefs(KspliceRepository repository)
{
    public const string PreRef = "refs/ksplice/pre";
    public const string UpdatesPrefix = "refs/ksplice/updates/";
    private static readonly string ZeroId = new('0', 40);

    public Commit? Pre => repository.TryResolveRef(PreRef);

    /// <summary>The pre commit, created from HEAD when the series has not started yet.</summary>
    public Commit EnsurePre(ToolOutput output)
    {
        if (Pre is { } pre) return pre;
        var head = repository.Repo.Head.Tip ?? throw new UserError("HEAD has no commit yet: nothing to mark as the running kernel's source");
        Move(head, "created from HEAD", expectedOld: null);
        output.Info($"note: {PreRef} did not exist; created it from HEAD ({head.Sha[..12]})");
        return head;
    }

    /// <summary>Moves the pre ref; fails (moving nothing) if someone else moved it since <paramref name="expectedOld"/>.</summary>
    public void Move(Commit target, string reason, Commit? expectedOld)
    {
        var old = expectedOld?.Sha ?? ZeroId;
        var r = repository.Git.TryRun(["update-ref", "--create-reflog", "-m", "ksplice: " + reason, PreRef, target.Sha, old]);
        if (!r.Succeeded)
            throw new UserError($"could not move {PreRef}: {r.StdErr.Trim()}");
    }

    /// <summary>Every move of the pre ref, newest first, with its reason.</summary>
    public IReadOnlyList<SeriesMove> Log() =>
        repository.Repo.Refs.Log(PreRef)
            .Select(e => new SeriesMove(e.From.Sha, e.To.Sha, e.Committer.When, StripPrefix(e.Message)))
            .ToList();

    public static string UpdateRef(string id) => UpdatesPrefix + id;

    public Commit? UpdateCommit(string id) => repository.TryResolveRef(UpdateRef(id));

    /// <summary>The `git update-ref --stdin` command recording an update's post commit; it fails if the id is taken.</summary>
    public static string CreateUpdateCommand(string id, Commit post) => $"create {UpdateRef(id)} {post.Sha}";

    /// <summary>
    /// Every recorded update id and its post commit id, sorted by id. Listed by git for-each-ref in one
    /// spawn: LibGit2Sharp looks every ref up again by name, ten times slower with 10,000 updates.
    /// </summary>
    public IReadOnlyList<(string Id, string Post)> Updates()
    {
        var output = repository.Git.Run("for-each-ref", "--format=%(objectname) %(refname)", UpdatesPrefix);
        var updates = new List<(string Id, string Post)>();
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var space = line.IndexOf(' ');
            if (space > 0 && line.AsSpan(space + 1).StartsWith(UpdatesPrefix))
                updates.Add((line[(space + 1 + UpdatesPrefix.Length)..], line[..space]));
        }
        updates.Sort((a, b) => string.CompareOrdinal(a.Id, b.Id));
        return updates;
    }

    public bool UpdateExists(string id) => repository.Repo.Refs[UpdateRef(id)] != null;

    private static string StripPrefix(string? message) =>
        message == null ? "" : message.StartsWith("ksplice: ") ? message["ksplice: ".Length..] : message;
}
