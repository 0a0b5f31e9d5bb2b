using GitKsplice.Cli;
using GitKsplice.Git;

namespace GitKsplice.Updates;

/// <summary>A recorded update: its id, post commit, the note's record and (when still kept) its manifest.</summary>
public sealed record UpdateInfo(string Id, string Post, UpdateNote? Note, Manifest? Manifest);

/// <summary>
/// The recorded updates, read in bulk: the update refs once and the notes tree in one walk, so the cost
/// follows the number of updates, not the length of history.
/// </summary>
public sealed class UpdateCatalog(KspliceRepository repository)
{
    public IReadOnlyList<UpdateInfo> All() => Read(_ => true);

    /// <summary>The updates built on <paramref name="pre"/> (what `series` lists); other notes are not parsed.</summary>
    public IReadOnlyList<UpdateInfo> BuiltOn(string pre) =>
        Read(text => text.Contains("\npre: " + pre, StringComparison.Ordinal)).Where(u => u.Note?.Pre == pre).ToList();

    private List<UpdateInfo> Read(Func<string, bool> mayMatch)
    {
        // The refs come from a git process while this one walks the notes tree.
        var refs = Task.Run(() => new SeriesRefs(repository).Updates());
        var snapshot = new NotesStore(repository, UpdateNote.NotesRef).Snapshot();
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

    public UpdateInfo Get(string id)
    {
        var post = new SeriesRefs(repository).UpdateCommit(id) ?? throw new UserError($"no such update: '{id}'");
        var note = UpdateNote.ParseAll(new NotesStore(repository, UpdateNote.NotesRef).Read(post.Sha)).FirstOrDefault(n => n.Id == id);
        var manifestPath = UpdateCreator.ManifestPath(repository, id);
        var manifest = File.Exists(manifestPath) ? Manifest.FromJson(File.ReadAllText(manifestPath)) : null;
        return new UpdateInfo(id, post.Sha, note, manifest);
    }
}
