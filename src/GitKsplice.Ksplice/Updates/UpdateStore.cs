using System.Text.Json;
using GitKsplice.Build;
using GitKsplice.Git;
using GitKsplice.Json;
using GitKsplice.Reporting;
using LibGit2Sharp;

namespace GitKsplice.Updates;

/// <summary>A recorded update: its id, post commit, the note's record and (when still kept) its manifest.</summary>
public sealed record UpdateInfo(UpdateId Id, string Post, UpdateNote? Note, Manifest? Manifest);

/// <summary>An update being recorded: its tarball is in place, its ref and note not yet (see <see cref="UpdateStore.Record"/>).</summary>
public sealed record PendingRecord(UpdateId Id, string Post, string? Tarball, bool TarballCreated);

/// <summary>
/// The updates and every name one has: its ref (refs/ksplice/updates/&lt;id&gt;, keeping the post commit
/// reachable), its note record on the post commit (refs/notes/ksplice), its tarball's name, the copy of its
/// manifest, its build log's label, its lock label, and the synthetic post commit of a change that has no
/// commit of its own. Reads are in bulk (the update refs once, the notes tree in one walk), so their cost
/// follows the number of updates, not the length of history.
/// </summary>
public sealed class UpdateStore(KspliceRepository repository)
{
    public const string NotesRef = "refs/notes/ksplice";
    public const string RefPrefix = "refs/ksplice/updates/";

    public static string RefName(UpdateId id) => RefPrefix + id;
    public static string TarballName(UpdateId id) => $"ksplice-{id}.tar.gz";
    /// <summary>The directory every file of the tarball is under.</summary>
    public static string TarballRoot(UpdateId id) => $"ksplice-{id}/";
    public static string LogLabel(UpdateId id) => $"post-{id}";
    public static string LockLabel(UpdateId id) => $"create {id}";
    public string ManifestPath(UpdateId id) => repository.Layout.UpdateManifest(id.Value);
    public NotesStore Notes => new(repository, NotesRef);

    /// <summary>The update's post commit, or null when no update of this id is recorded.</summary>
    public Commit? PostCommit(UpdateId id) => repository.TryResolveRef(RefName(id));

    /// <summary>
    /// Every update ref's id and post commit, sorted by id. Listed by git for-each-ref in one spawn:
    /// LibGit2Sharp looks every ref up again by name, ten times slower with 10,000 updates. A ref whose name is
    /// not an update id is no update's, and is skipped.
    /// </summary>
    public IReadOnlyList<(UpdateId Id, string Post)> Refs()
    {
        var output = repository.Git.Run("for-each-ref", "--format=%(objectname) %(refname)", RefPrefix);
        var updates = new List<(UpdateId Id, string Post)>();
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var space = line.IndexOf(' ');
            if (space > 0 && line.AsSpan(space + 1).StartsWith(RefPrefix) && UpdateId.TryParse(line[(space + 1 + RefPrefix.Length)..], out var id))
                updates.Add((id, line[..space]));
        }
        updates.Sort((a, b) => string.CompareOrdinal(a.Id.Value, b.Id.Value));
        return updates;
    }

    /// <summary>
    /// Before a command reads the updates: takes back creates interrupted while recording, and warns when the
    /// notes cannot be read (the updates are then listed without them).
    /// </summary>
    public UpdateStore BeforeReading(ToolOutput output)
    {
        RecoverInterrupted(output);
        if (Notes.Problem() is { } problem) output.Warning(problem);
        return this;
    }

    public IReadOnlyList<UpdateInfo> All() => Read(_ => true);

    /// <summary>The updates built on <paramref name="pre"/> (what `series` lists); other notes are not parsed.</summary>
    public IReadOnlyList<UpdateInfo> BuiltOn(string pre) =>
        Read(text => text.Contains("\npre: " + pre, StringComparison.Ordinal)).Where(u => u.Note?.Pre == pre).ToList();

    private List<UpdateInfo> Read(Func<string, bool> mayMatch)
    {
        // The refs come from a git process while this one walks the notes tree.
        var refs = Task.Run(Refs);
        var snapshot = Notes.Snapshot();
        var updates = refs.GetAwaiter().GetResult();
        var notes = snapshot.ReadMany(updates.Select(u => u.Post));
        var result = new List<UpdateInfo>(updates.Count);
        foreach (var (id, post) in updates)
        {
            var text = notes.GetValueOrDefault(post);
            if (text != null && !mayMatch(text)) continue;
            var note = text == null ? null : UpdateNote.ParseAll(text).FirstOrDefault(n => n.Id == id);
            result.Add(new UpdateInfo(id, post, note, null));
        }
        return result;
    }

    public UpdateInfo Get(UpdateId id)
    {
        var post = PostCommit(id) ?? throw new UserError($"no such update: '{id}'");
        var note = UpdateNote.ParseAll(Notes.Read(post.Sha)).FirstOrDefault(n => n.Id == id);
        var manifestPath = ManifestPath(id);
        var manifest = File.Exists(manifestPath) ? Manifest.FromJson(File.ReadAllText(manifestPath), manifestPath) : null;
        return new UpdateInfo(id, post.Sha, note, manifest);
    }

    /// <summary>
    /// The post commit of a patch, diffext or rebased range: a commit on top of pre with a fixed author and
    /// time, so the same change and id always give the same commit (and the same tarball).
    /// </summary>
    public Commit SyntheticPostCommit(UpdateId id, Commit pre, string tree, string source)
    {
        var signature = new Signature("git-ksplice", "git-ksplice@localhost", pre.Committer.When);
        return repository.Repo.ObjectDatabase.CreateCommit(signature, signature,
            $"ksplice update {id}\n\nBuilt from {source} on top of {pre.Sha}.\n",
            repository.Repo.Lookup<Tree>(tree), [pre], prettifyMessage: false);
    }

    /// <summary>
    /// Records an update: the tarball goes in place, then its ref and note move in one ref transaction (a
    /// note never describes an unrecorded update). Between the two, a pending record under the state
    /// directory names what is in place, so a create killed in that window is taken back by the next command
    /// (<see cref="RecoverInterrupted"/>): as the next command sees it, the update is complete or absent.
    /// Runs under the build lock. A failure takes back what this create put in place.
    /// </summary>
    public void Record(NotesEdit recording, Manifest manifest, NoteRecord record, TarballWriter? tarball, Commit post)
    {
        var id = manifest.Id;
        var existing = PostCommit(id);
        if (existing != null && existing.Sha != post.Sha) throw IdInUse(id, existing);
        var manifestCopy = ManifestPath(id);
        var pendingFile = repository.Layout.PendingRecord(id.Value);
        var pending = new PendingRecord(id, post.Sha, tarball?.Path, tarball != null && !File.Exists(tarball.Path));
        // Nothing is flushed to disk: the window is one of killed processes, and the page cache outlives them.
        AtomicFile.WriteAllText(pendingFile, JsonSerializer.Serialize(pending, UpdateJsonContext.Relaxed.PendingRecord), flushToDisk: false);
        try
        {
            // A copy of the tarball's manifest for `show`: the note keeps the record.
            AtomicFile.WriteAllText(manifestCopy, manifest.ToJson(), flushToDisk: false);
            tarball?.Publish();
            recording.Apply(
                new Dictionary<string, Func<string?, string?>> { [post.Sha] = note => record.MergeInto(note) },
                existing == null ? [$"create {RefName(id)} {post.Sha}"] : []);
        }
        catch
        {
            tarball?.Unpublish();
            if (existing == null) DeleteManifestCopy(id);
            File.Delete(pendingFile);
            throw;
        }
        File.Delete(pendingFile);
    }

    /// <summary>
    /// Takes back the updates whose create was killed between putting the tarball in place and moving the
    /// update's ref: the tarball it created and the manifest copy are removed; one whose ref did move is
    /// complete, and only its pending record goes. Costs one stat when nothing is pending. Skipped while a
    /// build holds the lock (that create may be recording right now) or when the lock cannot be taken.
    /// </summary>
    public void RecoverInterrupted(ToolOutput output)
    {
        if (!Directory.Exists(repository.Layout.Pending)) return;
        StateLock? held;
        try { held = StateLock.TryAcquire(repository.Layout.BuildLock, "recovery of an interrupted create"); }
        catch (UserError e)
        {
            output.Warning($"an interrupted create may have left a tarball unrecorded ({repository.Layout.Pending}): {e.Message}");
            return;
        }
        using (held)
            if (held != null) RecoverUnderLock(output);
    }

    /// <summary><see cref="RecoverInterrupted"/> for a caller that holds the build lock (create).</summary>
    internal void RecoverUnderLock(ToolOutput output)
    {
        if (!Directory.Exists(repository.Layout.Pending)) return;
        foreach (var file in Directory.EnumerateFiles(repository.Layout.Pending, "*.json"))
        {
            PendingRecord? pending;
            try { pending = JsonSerializer.Deserialize(File.ReadAllText(file), UpdateJsonContext.Relaxed.PendingRecord); }
            // Cut short before its rename (nothing was put in place after it), or not an update's.
            catch (JsonException) { pending = null; }
            if (pending is { Id: var id } && PostCommit(id)?.Sha != pending.Post)
            {
                if (pending.TarballCreated && pending.Tarball is { } tarball && File.Exists(tarball))
                {
                    File.Delete(tarball);
                    output.Warning($"removed {tarball}: the create that wrote it was interrupted before update '{id}' was recorded");
                }
                if (PostCommit(id) == null) DeleteManifestCopy(id);
            }
            File.Delete(file);
        }
    }

    private void DeleteManifestCopy(UpdateId id)
    {
        var path = ManifestPath(id);
        File.Delete(path);
        var dir = Path.GetDirectoryName(path)!;
        if (Directory.Exists(dir) && !Directory.EnumerateFileSystemEntries(dir).Any()) Directory.Delete(dir);
    }

    public static UserError IdInUse(UpdateId id, Commit existing) =>
        new($"update id '{id}' is already used by another update ({existing.Sha[..12]})");
}
