using System.Globalization;
using GitKsplice.Git;

namespace GitKsplice.Kstuff.Bundles;

/// <summary>
/// The refs/notes/kstuff record of a bundle, on the commit its build tree was built from: where the bundle is,
/// its sha256 and size, when it was built, from which $ROOT/$MACH, whether it carries idtools, and its drivers.
/// One record per bundle path; the delivery adds records of its own kinds beside it.
/// </summary>
public sealed record BundleNote(string Path, string Sha256, long Size, DateTimeOffset Time, string Root, string Mach,
    bool Idtools, IReadOnlyList<string> Drivers, int Files)
{
    public const string NotesRef = "refs/notes/kstuff";
    public const string Kind = "kstuff-bundle";

    public NoteRecord ToRecord() => new NoteRecord(Kind, Path)
        .Add("sha256", Sha256)
        .Add("size", Size.ToString(CultureInfo.InvariantCulture))
        .Add("time", Json.WireTime.Format(Time))
        .Add("root", Root)
        .Add("mach", Mach)
        .Add("idtools", Idtools ? "yes" : "no")
        .Add("files", Files.ToString(CultureInfo.InvariantCulture))
        .Add("drivers", string.Join(' ', Drivers));

    public static BundleNote? FromRecord(NoteRecord r) => r.Kind != Kind ? null : new(
        r.Name, r.Get("sha256") ?? "",
        long.TryParse(r.Get("size"), CultureInfo.InvariantCulture, out var size) ? size : -1,
        Json.WireTime.Parse(r.Get("time")) ?? DateTimeOffset.UnixEpoch,
        r.Get("root") ?? "", r.Get("mach") ?? "", r.Get("idtools") == "yes",
        (r.Get("drivers") ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries),
        int.TryParse(r.Get("files"), CultureInfo.InvariantCulture, out var files) ? files : 0);

    /// <summary>Every bundle record of one note.</summary>
    public static IEnumerable<BundleNote> ParseAll(string? note) =>
        NoteRecord.ParseAll(note).Select(FromRecord).OfType<BundleNote>();
}

/// <summary>A bundle note together with the commit it sits on and what the file on disk says now.</summary>
public sealed record NotedBundle(string Commit, BundleNote Note, BundleFileState State);

/// <summary>Whether the bundle a note describes is still the file on disk.</summary>
public enum BundleFileState { Present, Missing, Replaced }

/// <summary>Reads and writes bundle notes on refs/notes/kstuff.</summary>
public sealed class BundleNotes(KspliceRepository repository)
{
    private readonly NotesStore _store = new(repository, BundleNote.NotesRef);

    /// <summary>Records <paramref name="note"/> on <paramref name="commit"/>, replacing an earlier record of the same path.</summary>
    public void Record(string commit, BundleNote note) =>
        _store.Edit(new Dictionary<string, Func<string?, string?>> { [commit] = current => note.ToRecord().MergeInto(current) },
            $"kstuff bundle {note.Path}");

    /// <summary>Every noted bundle, oldest first; each distinct file is hashed once, and only when its size matches.</summary>
    public IReadOnlyList<NotedBundle> All()
    {
        var states = new Dictionary<string, string?>(StringComparer.Ordinal);
        var result = new List<NotedBundle>();
        foreach (var (commit, text) in _store.ReadAll())
            foreach (var note in BundleNote.ParseAll(text))
            {
                var file = new FileInfo(note.Path);
                var state = !file.Exists ? BundleFileState.Missing
                    : note.Size >= 0 && file.Length != note.Size ? BundleFileState.Replaced // no need to hash a file of another size
                    : Hash(note.Path) == note.Sha256 ? BundleFileState.Present : BundleFileState.Replaced;
                result.Add(new NotedBundle(commit, note, state));
            }
        string? Hash(string path)
        {
            if (!states.TryGetValue(path, out var sha)) states[path] = sha = BundleBuilder.Sha256Of(path);
            return sha;
        }
        return result.OrderBy(b => b.Note.Time).ThenBy(b => b.Commit, StringComparer.Ordinal)
            .ThenBy(b => b.Note.Path, StringComparer.Ordinal).ToList();
    }
}
