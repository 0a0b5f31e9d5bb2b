using GitKsplice.Git;
using GitKsplice.Json;
using GitKsplice.Updates;

namespace GitKsplice.Hooks;

/// <summary>
/// The hook's verdict on a commit, kept as a "ksplice-verdict" record in the commit's refs/notes/ksplice
/// note beside any "ksplice-update" records of create, which it never touches.
/// </summary>
public sealed record Verdict(
    UpdateVerdict Kind, string Commit, string Pre, DateTimeOffset Checked,
    IReadOnlyList<string> Changed, IReadOnlyList<string> New, IReadOnlyList<string> Removed,
    IReadOnlyList<string> Unsafe, string? Reason, string? Log, string? Manifest)
{
    public const string RecordKind = "ksplice-verdict";

    /// <summary>With ksplice.hook.try: how `git ksplice try` of the update went ("passed in 9.1 s", "failed: …").</summary>
    public string? Tried { get; init; }

    public static Verdict FromManifest(UpdateVerdict kind, string commit, Manifest m, string? log, string? manifestPath, DateTimeOffset when) => new(
        kind, commit, m.Pre, when,
        m.Objects.SelectMany(o => o.Changed.Select(f => $"{o.Path}: {f}")).ToList(),
        m.Objects.SelectMany(o => o.New.Select(f => $"{o.Path}: {f}")).ToList(),
        m.Objects.SelectMany(o => o.Removed.Select(f => $"{o.Path}: {f}")).ToList(),
        m.Objects.SelectMany(o => o.Unsafe.Select(u => $"{o.Path}: {u.Symbol}: {u.Kind}: {u.Reason}")).ToList(),
        null, log, manifestPath);

    /// <summary>One line for people: what changed, what is unsafe, or why there is no update.</summary>
    public string Summary => Kind switch
    {
        UpdateVerdict.HotPatchable => Join("changed", Changed) + Join("; new", New) + Join("; removed", Removed) + (Tried != null ? "; tried: " + Tried : ""),
        UpdateVerdict.Unsafe => Join($"{Unsafe.Count} unsafe change(s)", Unsafe),
        UpdateVerdict.BuildFailed => $"{Reason}; log: {Log}",
        _ => Reason ?? "",
    };

    private static string Join(string label, IReadOnlyList<string> items) =>
        items.Count == 0 ? "" : $"{label}: {string.Join(", ", items)}";

    public NoteRecord ToRecord()
    {
        var r = new NoteRecord(RecordKind, Kind.Word()).Add("pre", Pre).Add("checked", WireTime.Format(Checked));
        foreach (var f in Changed) r.Add("changed", f);
        foreach (var f in New) r.Add("new", f);
        foreach (var f in Removed) r.Add("removed", f);
        foreach (var f in Unsafe) r.Add("unsafe", f);
        if (Reason != null) r.Add("reason", Reason);
        if (Log != null) r.Add("log", Log);
        if (Manifest != null) r.Add("manifest", Manifest);
        if (Tried != null) r.Add("tried", Tried);
        return r;
    }

    /// <summary>The note with this verdict in place of any earlier verdict; other records are kept as they are.</summary>
    public string MergeInto(string? note) =>
        string.Join("\n", NoteRecord.ParseAll(note).Where(r => r.Kind != RecordKind).Append(ToRecord()).Select(r => r.ToString()));

    /// <summary>The commit's verdict; a verdict word this version does not know reads as none.</summary>
    public static Verdict? FromNote(string commit, string? note) =>
        NoteRecord.ParseAll(note).Where(r => r.Kind == RecordKind).Select(r => FromRecord(commit, r)).LastOrDefault();

    private static Verdict? FromRecord(string commit, NoteRecord r) => UpdateVerdicts.Words.Parse(r.Name) is not { } kind ? null : new(
        kind, commit, r.Get("pre") ?? "", WireTime.Parse(r.Get("checked")) ?? DateTimeOffset.MinValue,
        r.GetAll("changed").ToList(), r.GetAll("new").ToList(), r.GetAll("removed").ToList(), r.GetAll("unsafe").ToList(),
        r.Get("reason"), r.Get("log"), r.Get("manifest"))
    {
        Tried = r.Get("tried"),
    };
}
