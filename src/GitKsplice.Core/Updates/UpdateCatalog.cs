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
    public IReadOnlyList<UpdateInfo> All()
    {
        var notes = new NotesStore(repository, UpdateNote.NotesRef).ReadAll();
        return new SeriesRefs(repository).Updates()
            .Select(u => new UpdateInfo(u.Id, u.Post,
                notes.TryGetValue(u.Post, out var text) ? UpdateNote.ParseAll(text).FirstOrDefault(n => n.Id == u.Id) : null,
                null))
            .ToList();
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
