using GitKsplice.Git;

namespace GitKsplice.Updates;

/// <summary>The refs/notes/ksplice record of a built update, on its post commit.</summary>
public sealed record UpdateNote(
    UpdateId Id, string Pre, string Post, string Source, string Verdict, string? Tarball, bool Series,
    IReadOnlyList<string> Changed, IReadOnlyList<string> New, IReadOnlyList<string> Removed,
    IReadOnlyList<string> Unsafe, IReadOnlyList<string> Objects)
{
    public const string Kind = "ksplice-update";

    public static UpdateNote FromManifest(Manifest m, UpdateVerdict verdict, string? tarball, bool series) => new(
        m.Id, m.Pre, m.Post, m.Source, verdict.Word(), tarball, series,
        m.Objects.SelectMany(o => o.Changed.Select(f => $"{o.Path}: {f}")).ToList(),
        m.Objects.SelectMany(o => o.New.Select(f => $"{o.Path}: {f}")).ToList(),
        m.Objects.SelectMany(o => o.Removed.Select(f => $"{o.Path}: {f}")).ToList(),
        m.Objects.SelectMany(o => o.Unsafe.Select(u => $"{o.Path}: {u.Symbol}: {u.Kind}: {u.Reason}")).ToList(),
        m.Objects.Select(o => o.Path).ToList());

    public NoteRecord ToRecord()
    {
        var r = new NoteRecord(Kind, Id.Value)
            .Add("pre", Pre).Add("post", Post).Add("source", Source).Add("verdict", Verdict);
        if (Tarball != null) r.Add("tarball", Tarball);
        if (Series) r.Add("series", "true"); // built with --series: it moved refs/ksplice/pre to its post commit
        foreach (var o in Objects) r.Add("object", o);
        foreach (var f in Changed) r.Add("changed", f);
        foreach (var f in New) r.Add("new", f);
        foreach (var f in Removed) r.Add("removed", f);
        foreach (var f in Unsafe) r.Add("unsafe", f);
        return r;
    }

    /// <summary>The record as an update's, or null for another kind or a name that is not an update id.</summary>
    public static UpdateNote? FromRecord(NoteRecord r) => r.Kind != Kind || !UpdateId.TryParse(r.Name, out var id) ? null : new(
        id, r.Get("pre") ?? "", r.Get("post") ?? "", r.Get("source") ?? "", r.Get("verdict") ?? "",
        r.Get("tarball"), r.Get("series") == "true", r.GetAll("changed"), r.GetAll("new"), r.GetAll("removed"),
        r.GetAll("unsafe"), r.GetAll("object"));

    /// <summary>Every update record in one note.</summary>
    public static IEnumerable<UpdateNote> ParseAll(string? note) =>
        NoteRecord.ParseAll(note).Select(FromRecord).OfType<UpdateNote>();
}
