using System.Text;
using GitKsplice.Cli;
using LibGit2Sharp;

namespace GitKsplice.Git;

/// <summary>
/// A git notes ref (e.g. refs/notes/ksplice) read and written the way git's own notes code lays it out:
/// the notes tree fans out into <c>ab/cdef…</c> directories as it grows, so lookups stay fast with
/// thousands of notes (libgit2 alone writes a flat tree). Reads walk the tree once instead of one lookup
/// per commit; every batch of edits becomes one notes commit, and the ref moves by compare-and-swap.
/// </summary>
public sealed class NotesStore(KspliceRepository repository, string notesRef)
{
    private const int HexLength = 40;

    public string Ref { get; } = notesRef;

    /// <summary>Every note on the ref, keyed by the annotated object's id.</summary>
    public IReadOnlyDictionary<string, string> ReadAll()
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (CurrentCommit() is { } commit)
            foreach (var (target, blob) in NoteEntries(commit.Tree, ""))
                result[target] = blob.GetContentText(Encoding.UTF8);
        return result;
    }

    /// <summary>The note on one object, or null.</summary>
    public string? Read(string objectId)
    {
        if (CurrentCommit() is not { } commit) return null;
        // Try every fan-out depth: a tree may be flat (older writers) or fanned out.
        for (var depth = 0; depth <= 3; depth++)
            if (commit.Tree[FanOutPath(objectId, depth)]?.Target is Blob blob)
                return blob.GetContentText(Encoding.UTF8);
        return null;
    }

    /// <summary>
    /// Applies a batch of edits in one notes commit. Each edit maps the current note (or null) to the new
    /// text (null removes it). Retries when another writer moved the ref meanwhile.
    /// </summary>
    public void Edit(IReadOnlyDictionary<string, Func<string?, string?>> edits, string message)
    {
        if (edits.Count == 0) return;
        for (var attempt = 0; ; attempt++)
        {
            var parent = CurrentCommit();
            var notes = parent == null
                ? new Dictionary<string, ObjectId>(StringComparer.Ordinal)
                : NoteEntries(parent.Tree, "").ToDictionary(e => e.Target, e => e.Blob.Id, StringComparer.Ordinal);
            var odb = repository.Repo.ObjectDatabase;
            foreach (var (target, edit) in edits)
            {
                var current = notes.TryGetValue(target, out var id) ? repository.Repo.Lookup<Blob>(id).GetContentText(Encoding.UTF8) : null;
                var updated = edit(current);
                if (updated == null) notes.Remove(target);
                else if (updated != current)
                    notes[target] = odb.CreateBlob(new MemoryStream(Encoding.UTF8.GetBytes(updated))).Id;
            }
            var tree = BuildTree(notes, parent?.Tree);
            if (parent != null && tree.Id == parent.Tree.Id) return;
            var signature = Signature();
            var commit = odb.CreateCommit(signature, signature, message + "\n", tree,
                parent == null ? [] : [parent], prettifyMessage: false);
            var old = parent?.Sha ?? new string('0', HexLength);
            var r = repository.Git.TryRun(["update-ref", "-m", "notes: " + message, Ref, commit.Sha, old]);
            if (r.Succeeded) return;
            if (attempt >= 5) throw new UserError($"could not update {Ref}: {r.StdErr.Trim()}");
        }
    }

    private Commit? CurrentCommit() => repository.TryResolveRef(Ref);

    /// <summary>Walks a notes tree of any fan-out, yielding (annotated object id, note blob).</summary>
    private static IEnumerable<(string Target, Blob Blob)> NoteEntries(Tree tree, string prefix)
    {
        foreach (var entry in tree)
        {
            var name = prefix + entry.Name;
            if (!IsHex(entry.Name)) continue; // git allows non-note files in a notes tree; they are kept
            if (entry.TargetType == TreeEntryTargetType.Blob && name.Length == HexLength)
                yield return (name, (Blob)entry.Target);
            else if (entry.TargetType == TreeEntryTargetType.Tree && name.Length < HexLength)
                foreach (var inner in NoteEntries((Tree)entry.Target, name))
                    yield return inner;
        }
    }

    /// <summary>
    /// Builds the notes tree with the fan-out git would pick for this many notes: flat while small,
    /// one 2-hex-digit level per 256-fold growth. Non-note entries of the old tree are carried over.
    /// </summary>
    private Tree BuildTree(Dictionary<string, ObjectId> notes, Tree? previous)
    {
        var depth = FanOutDepth(notes.Count);
        var definition = new TreeDefinition();
        if (previous != null)
            foreach (var entry in previous.Where(e => !IsHex(e.Name)))
                definition.Add(entry.Name, entry);
        foreach (var (target, blob) in notes)
            definition.Add(FanOutPath(target, depth), blob, Mode.NonExecutableFile);
        return repository.Repo.ObjectDatabase.CreateTree(definition);
    }

    internal static int FanOutDepth(int noteCount)
    {
        var depth = 0;
        for (long capacity = 256; noteCount > capacity && depth < 3; capacity *= 256) depth++;
        return depth;
    }

    internal static string FanOutPath(string objectId, int depth)
    {
        var path = new StringBuilder(HexLength + depth);
        for (var i = 0; i < depth; i++) path.Append(objectId, i * 2, 2).Append('/');
        return path.Append(objectId, depth * 2, HexLength - depth * 2).ToString();
    }

    private static bool IsHex(string name) => name.All(Uri.IsHexDigit);

    private Signature Signature()
    {
        var configured = repository.Repo.Config.BuildSignature(DateTimeOffset.Now);
        return configured ?? new Signature("git-ksplice", "git-ksplice@localhost", DateTimeOffset.Now);
    }
}
