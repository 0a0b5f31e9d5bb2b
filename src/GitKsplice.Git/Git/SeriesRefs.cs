using GitKsplice.Reporting;
using LibGit2Sharp;

namespace GitKsplice.Git;

/// <summary>One move of refs/ksplice/pre, from its reflog.</summary>
public sealed record SeriesMove(string From, string To, DateTimeOffset When, string Reason);

/// <summary>
/// The state of the update series, kept in a ref: refs/ksplice/pre marks the source the running kernel was
/// built from (each update's own ref belongs to the update store). Every move of the pre ref goes through git update-ref with a reason in its reflog and the old value checked.
/// </summary>
public sealed class SeriesRefs(KspliceRepository repository)
{
    public const string PreRef = "refs/ksplice/pre";
    private static readonly string ZeroId = new('0', 40);

    public Commit? Pre => repository.TryResolveRef(PreRef);

    /// <summary>Starts the series: the pre ref is created at HEAD (the caller checked that no update was built before).</summary>
    public Commit StartAtHead(ToolOutput output)
    {
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
            throw GitCli.Failure(r.StdErr, $"git update-ref exited with {r.ExitCode}", $"could not move {PreRef}");
    }

    /// <summary>Every move of the pre ref, newest first, with its reason.</summary>
    public IReadOnlyList<SeriesMove> Log() =>
        repository.Repo.Refs.Log(PreRef)
            .Select(e => new SeriesMove(e.From.Sha, e.To.Sha, e.Committer.When, StripPrefix(e.Message)))
            .ToList();

    private static string StripPrefix(string? message) =>
        message == null ? "" : message.StartsWith("ksplice: ") ? message["ksplice: ".Length..] : message;
}
