using GitKsplice.Git;
using GitKsplice.Json;
using GitKsplice.Updates;

namespace GitKsplice.Live;

/// <summary>How an apply or undo on a target ended.</summary>
public enum LiveResult
{
    /// <summary>Loaded and its transition completed: the update is live.</summary>
    Applied,
    /// <summary>A check refused it before anything was loaded.</summary>
    Refused,
    /// <summary>insmod failed (the kernel's loader said why).</summary>
    LoadFailed,
    /// <summary>The module loaded but registered no livepatch; it was unloaded.</summary>
    NotLivepatch,
    /// <summary>The transition did not complete in time; it was reversed and the module unloaded.</summary>
    Reversed,
    /// <summary>Neither the transition nor its reversal completed.</summary>
    Stuck,
    /// <summary>Disabled, its transition completed and unloaded.</summary>
    Undone,
    /// <summary>The transition back did not complete in time; the update was enabled again.</summary>
    StillApplied,
    /// <summary>Disabled, but rmmod failed.</summary>
    UnloadFailed,
    /// <summary>The connection ended before the job on the target said how it ended; the job's log says.</summary>
    Interrupted,
}

/// <summary>An apply or an undo.</summary>
public enum LiveAction { Apply, Undo }

/// <summary>
/// The last apply or undo of an update on one host, a record in the note of its post commit beside create's and
/// try's: "ksplice-applied: &lt;id&gt;" or "ksplice-undone: &lt;id&gt;" with the host, its kernel release, the
/// time, the result and, for a failure, why. One record per update and host: the latest says whether it is live there.
/// </summary>
public sealed record LiveRecord(UpdateId Id, LiveAction Action, string Host, string Release, DateTimeOffset When, LiveResult Result, string? Failure)
{
    public const string AppliedKind = "ksplice-applied", UndoneKind = "ksplice-undone";

    public static readonly WireTable<LiveResult> Results = new(
        (LiveResult.Applied, "applied"), (LiveResult.Refused, "refused"), (LiveResult.LoadFailed, "load-failed"),
        (LiveResult.NotLivepatch, "not-livepatch"), (LiveResult.Reversed, "reversed"), (LiveResult.Stuck, "stuck"),
        (LiveResult.Undone, "undone"), (LiveResult.StillApplied, "still-applied"), (LiveResult.UnloadFailed, "unload-failed"),
        (LiveResult.Interrupted, "interrupted"));

    /// <summary>Whether the update is live on the host after this record's apply or undo.</summary>
    public bool IsLive => Result is LiveResult.Applied or LiveResult.StillApplied or LiveResult.Stuck or LiveResult.UnloadFailed;

    public NoteRecord ToRecord()
    {
        var r = new NoteRecord(Action == LiveAction.Apply ? AppliedKind : UndoneKind, Id.Value)
            .Add("host", Host)
            .Add("kernel", Release)
            .Add("when", WireTime.Format(When))
            .Add("result", Results[Result]);
        if (Failure != null) r.Add("failure", Failure);
        return r;
    }

    /// <summary>The note with this record in place of the earlier apply or undo of the same update on the same host.</summary>
    public string MergeInto(string? note)
    {
        var records = NoteRecord.ParseAll(note)
            .Where(r => !(r.Kind is AppliedKind or UndoneKind && r.Name == Id.Value && r.Get("host") == Host)).Append(ToRecord());
        return string.Join("\n", records.Select(r => r.ToString()));
    }

    /// <summary>Every host's latest apply or undo of the update, as its note holds them.</summary>
    public static IReadOnlyList<LiveRecord> FromNote(UpdateId id, string? note) =>
        NoteRecord.ParseAll(note).Where(r => r.Kind is AppliedKind or UndoneKind && r.Name == id.Value).Select(r => new LiveRecord(
            id, r.Kind == AppliedKind ? LiveAction.Apply : LiveAction.Undo, r.Get("host") ?? "", r.Get("kernel") ?? "",
            WireTime.Parse(r.Get("when")) ?? DateTimeOffset.MinValue, Results.Parse(r.Get("result")) ?? LiveResult.Interrupted, r.Get("failure"))).ToList();

    /// <summary>The hosts where the update is live, by its note.</summary>
    public static IReadOnlyList<LiveRecord> LiveOn(UpdateId id, string? note) => FromNote(id, note).Where(r => r.IsLive).ToList();
}
