using System.Text;
using GitKsplice.Reporting;
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

    /// <summary>
    /// What is wrong with the notes ref when it points at something other than a commit (a blob, a tree), with
    /// how to repair it; null when it is a notes commit or absent. Readers then see no notes and should warn;
    /// writers refuse (<see cref="Check"/>).
    /// </summary>
    public string? Problem()
    {
        if (repository.Repo.Refs[Ref]?.ResolveToDirectReference()?.Target is not { } target || target is Commit) return null;
        var kind = target switch { Blob => "a blob", Tree => "a tree", TagAnnotation => "a tag", _ => "an object" };
        return $"{Ref} points at {kind} ({target.Sha[..12]}), not at a notes commit, so its notes cannot be read or added to; " +
            $"point it back at its last notes commit ('git reflog {Ref}', then 'git update-ref {Ref} <commit>') " +
            $"or remove it ('git update-ref -d {Ref}': the notes on it are lost)";
    }

    /// <summary>Fails with <see cref="Problem"/> when the notes ref cannot take notes.</summary>
    public void Check()
    {
        if (Problem() is { } problem) throw new UserError(problem);
    }

    /// <summary>Every note on the ref, keyed by the annotated object's id.</summary>
    public IReadOnlyDictionary<string, string> ReadAll()
    {
        var snapshot = Snapshot();
        return snapshot.ReadMany(snapshot.Targets);
    }

    /// <summary>
    /// Which objects have a note, from one walk of the notes tree (`git ls-tree -r`: LibGit2Sharp costs
    /// ten times more per entry); a note's text is read only when asked for, so records of other kinds
    /// sharing the ref (a verdict on every commit) cost one tree entry each.
    /// </summary>
    public NotesSnapshot Snapshot()
    {
        var blobs = new Dictionary<string, string>(StringComparer.Ordinal);
        if (CurrentCommit() is { } commit)
        {
            var listing = repository.Git.RunBinary(["ls-tree", "-r", "-z", commit.Tree.Sha]);
            foreach (var (path, blob) in LsTreeBlobs(listing))
            {
                var target = path.Replace("/", "");
                if (target.Length == HexLength && IsHex(target) && path.Split('/').All(IsHex))
                    blobs[target] = blob;
            }
        }
        return new NotesSnapshot(repository, blobs);
    }

    /// <summary>The (path, blob id) of every blob in `git ls-tree -r -z` output.</summary>
    private static IEnumerable<(string Path, string Blob)> LsTreeBlobs(byte[] listing)
    {
        // "<mode> SP <type> SP <object> TAB <path> NUL"
        for (var start = 0; start < listing.Length;)
        {
            var end = Array.IndexOf(listing, (byte)0, start);
            if (end < 0) end = listing.Length;
            var record = Encoding.UTF8.GetString(listing, start, end - start);
            start = end + 1;
            var tab = record.IndexOf('\t');
            var meta = tab < 0 ? [] : record[..tab].Split(' ');
            if (meta.Length == 3 && meta[1] == "blob") yield return (record[(tab + 1)..], meta[2]);
        }
    }

    /// <summary>The note on one object, or null.</summary>
    public string? Read(string objectId)
    {
        // Any fan-out depth: a tree may be flat (older writers) or fanned out.
        return CurrentCommit() is { } commit && Find(commit.Tree, objectId) is { } found ? ReadText(found.Blob) : null;
    }

    /// <summary>A note's text, read from the blob's raw bytes (LibGit2Sharp's text reader is several times slower).</summary>
    internal static string ReadText(Blob blob)
    {
        using var stream = blob.GetContentStream();
        var bytes = new byte[blob.Size];
        stream.ReadExactly(bytes);
        return Encoding.UTF8.GetString(bytes);
    }

    /// <summary>
    /// Applies a batch of edits in one notes commit. Each edit maps the current note (or null) to the new
    /// text (null removes it). <paramref name="alongside"/> are further `git update-ref --stdin` commands
    /// (e.g. "create refs/x SHA") made in the same transaction: the notes and those refs move together or not
    /// at all; <paramref name="beforeRefsMove"/> runs (and may throw) once their refs are locked, just before
    /// they move. Retries when another writer moved the notes ref meanwhile.
    /// </summary>
    public void Edit(IReadOnlyDictionary<string, Func<string?, string?>> edits, string message, IReadOnlyList<string>? alongside = null,
        Action? beforeRefsMove = null) =>
        Apply(message, () => StartTransaction(message), edits, alongside, beforeRefsMove);

    /// <summary>An edit applied later, whose ref transaction may start before its edits are known.</summary>
    public NotesEdit BeginEdit(string message) => new(this, message);

    internal RefTransaction StartTransaction(string message) => RefTransaction.Start(repository.Git, "notes: " + message);

    internal void Apply(string message, Func<RefTransaction> transactions, IReadOnlyDictionary<string, Func<string?, string?>> edits,
        IReadOnlyList<string>? alongside, Action? beforeRefsMove)
    {
        alongside ??= [];
        if (edits.Count == 0 && alongside.Count == 0) return;
        Check();
        for (var attempt = 0; ; attempt++)
        {
            var parent = CurrentCommit();
            var commands = new List<string>(alongside);
            var tree = edits.Count == 0 ? parent?.Tree
                : (parent == null ? null : EditInPlace(parent.Tree, edits)) ?? Rewrite(parent?.Tree, edits);
            if (tree != null && tree.Id != parent?.Tree.Id)
            {
                var signature = Signature();
                var commit = repository.Repo.ObjectDatabase.CreateCommit(signature, signature, message + "\n", tree,
                    parent == null ? [] : [parent], prettifyMessage: false);
                commands.Add($"update {Ref} {commit.Sha} {parent?.Sha ?? new string('0', HexLength)}");
            }
            if (commands.Count == 0)
            {
                beforeRefsMove?.Invoke();
                return;
            }
            using var transaction = transactions();
            if (transaction.TryPrepare(commands, out var error))
            {
                beforeRefsMove?.Invoke(); // a throw here disposes the transaction uncommitted: nothing moves
                transaction.Commit();
                return;
            }
            // Only a notes ref moved by another writer is worth another try; anything else is the caller's error.
            if (CurrentCommit()?.Sha == parent?.Sha || attempt >= 5)
                throw new UserError($"could not update {Ref}: {error}");
        }
    }

    private Commit? CurrentCommit() => repository.TryResolveRef(Ref);

    /// <summary>
    /// The edited tree when the old one is laid out evenly at the fan-out its new size wants: only the paths
    /// of the edited notes change, so a write costs the same with 100 notes as with 100,000. Null when the
    /// tree must be laid out again (flat from an older writer, mixed, or crossing a fan-out threshold).
    /// </summary>
    private Tree? EditInPlace(Tree tree, IReadOnlyDictionary<string, Func<string?, string?>> edits)
    {
        // The top level is read once: LibGit2Sharp makes an object of every entry each time it is walked.
        var entries = tree.ToList();
        var notes = entries.Where(e => IsHex(e.Name)).ToList();
        if (LayoutDepth(notes) is not { } depth) return null;
        var count = depth switch
        {
            0 => notes.Count,
            1 => notes.Sum(e => ((Tree)e.Target).Count),
            _ => (int?)null, // 65,536 notes or more: a batch never crosses a threshold worth a rewrite
        };
        var definition = new TreeDefinition();
        foreach (var entry in entries) definition.Add(entry.Name, entry);
        foreach (var (target, edit) in edits)
        {
            var found = Find(tree, target);
            if (found is { } f && f.Depth != depth) return null; // a note of another layout: normalise it all
            var current = found is { } hit ? ReadText(hit.Blob) : null;
            var updated = edit(current);
            var path = FanOutPath(target, depth);
            if (updated == null)
            {
                if (found == null) continue;
                definition.Remove(path);
                count--;
            }
            else if (updated != current)
            {
                definition.Add(path, CreateBlob(updated), Mode.NonExecutableFile);
                if (found == null) count++;
            }
        }
        if (count is { } n && FanOutDepth(n) != depth) return null;
        return repository.Repo.ObjectDatabase.CreateTree(definition);
    }

    /// <summary>Lays the whole notes tree out again at the fan-out its size wants.</summary>
    private Tree Rewrite(Tree? tree, IReadOnlyDictionary<string, Func<string?, string?>> edits)
    {
        var notes = tree == null
            ? new Dictionary<string, ObjectId>(StringComparer.Ordinal)
            : NoteEntries(tree, "").ToDictionary(e => e.Target, e => e.Entry.Target.Id, StringComparer.Ordinal);
        foreach (var (target, edit) in edits)
        {
            var current = notes.TryGetValue(target, out var id) ? ReadText(repository.Repo.Lookup<Blob>(id)) : null;
            var updated = edit(current);
            if (updated == null) notes.Remove(target);
            else if (updated != current) notes[target] = CreateBlob(updated).Id;
        }
        return BuildTree(notes, tree);
    }

    private Blob CreateBlob(string text) =>
        repository.Repo.ObjectDatabase.CreateBlob(new MemoryStream(Encoding.UTF8.GetBytes(text)));

    /// <summary>Where an object's note sits (any fan-out depth), or null.</summary>
    private static (int Depth, Blob Blob)? Find(Tree tree, string objectId)
    {
        for (var depth = 0; depth <= 3; depth++)
            if (tree[FanOutPath(objectId, depth)]?.Target is Blob blob)
                return (depth, blob);
        return null;
    }

    /// <summary>
    /// The fan-out depth of a notes tree from its top-level note entries: all notes (depth 0) or all
    /// 2-hex-digit directories, following the first directory down; null for an empty or mixed top level.
    /// </summary>
    private static int? LayoutDepth(IReadOnlyList<TreeEntry> top)
    {
        if (top.Count == 0) return null;
        if (top.All(e => e.TargetType == TreeEntryTargetType.Blob && e.Name.Length == HexLength)) return 0;
        if (!top.All(e => e.TargetType == TreeEntryTargetType.Tree && e.Name.Length == 2)) return null;
        var depth = 1;
        for (var sub = (Tree)top[0].Target; ; depth++)
        {
            var first = sub.FirstOrDefault(e => IsHex(e.Name));
            if (first == null || first.TargetType == TreeEntryTargetType.Blob) return depth;
            if (first.Name.Length != 2 || depth >= 3) return null;
            sub = (Tree)first.Target;
        }
    }

    /// <summary>Walks a notes tree of any fan-out, yielding (annotated object id, note entry); blobs are not loaded.</summary>
    private static IEnumerable<(string Target, TreeEntry Entry)> NoteEntries(Tree tree, string prefix)
    {
        foreach (var entry in tree)
        {
            var name = prefix + entry.Name;
            if (!IsHex(entry.Name)) continue; // git allows non-note files in a notes tree; they are kept
            if (entry.TargetType == TreeEntryTargetType.Blob && name.Length == HexLength)
                yield return (name, entry);
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

/// <summary>
/// A notes edit made by <see cref="NotesStore.BeginEdit"/>, whose `git update-ref` may start before the
/// edits are known (<see cref="StartGit"/>): a caller that records a result after a long step (a build)
/// starts git during it, and git's start-up is then off the critical path.
/// </summary>
public sealed class NotesEdit : IDisposable
{
    private readonly NotesStore _store;
    private readonly string _message;
    private RefTransaction? _started;

    internal NotesEdit(NotesStore store, string message)
    {
        _store = store;
        _message = message;
    }

    /// <summary>Starts the transaction's git now.</summary>
    public void StartGit() => _started ??= _store.StartTransaction(_message);

    /// <summary>Applies the edits as <see cref="NotesStore.Edit"/> does.</summary>
    public void Apply(IReadOnlyDictionary<string, Func<string?, string?>> edits, IReadOnlyList<string>? alongside = null,
        Action? beforeRefsMove = null) =>
        _store.Apply(_message, NextTransaction, edits, alongside, beforeRefsMove);

    /// <summary>The transaction started early first; a retry after another writer moved the notes starts a new one.</summary>
    private RefTransaction NextTransaction()
    {
        var transaction = _started ?? _store.StartTransaction(_message);
        _started = null;
        return transaction;
    }

    /// <summary>Ends a transaction started but never applied: git aborts it.</summary>
    public void Dispose() => _started?.Dispose();
}

/// <summary>The notes of one notes commit: which objects have one, and their text on demand.</summary>
public sealed class NotesSnapshot
{
    private readonly KspliceRepository _repository;
    private readonly Dictionary<string, string> _blobs;

    internal NotesSnapshot(KspliceRepository repository, Dictionary<string, string> blobs)
    {
        _repository = repository;
        _blobs = blobs;
    }

    public int Count => _blobs.Count;
    public IEnumerable<string> Targets => _blobs.Keys;
    public bool Contains(string objectId) => _blobs.ContainsKey(objectId);

    /// <summary>The notes on these objects (those that have one), read by one `git cat-file --batch --buffer` (one write, not one per note).</summary>
    public IReadOnlyDictionary<string, string> ReadMany(IEnumerable<string> objectIds)
    {
        var wanted = objectIds.Where(_blobs.ContainsKey).Distinct().ToList();
        var result = new Dictionary<string, string>(wanted.Count, StringComparer.Ordinal);
        if (wanted.Count == 0) return result;
        var texts = _repository.Git.BlobTexts(wanted.Select(target => _blobs[target]).Distinct(StringComparer.Ordinal).ToList());
        foreach (var target in wanted)
            if (texts.TryGetValue(_blobs[target], out var text)) result[target] = text;
        return result;
    }
}
