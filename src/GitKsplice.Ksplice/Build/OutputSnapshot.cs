using System.Text.Json;
using GitKsplice.IO;
using GitKsplice.Json;

namespace GitKsplice.Build;

/// <summary>Which pre state a snapshot holds the outputs of.</summary>
public sealed record SnapshotState(string SourceTree, string BuildKey, string ConfigHash);

/// <summary>
/// The build outputs of the pre state (objects and modules), copied aside with their mtimes once the pre
/// state is built. Every update is then built incrementally in the one build tree and compared against this
/// snapshot. One tree at one path matters for Kbuild: its tools and dependency files record absolute paths,
/// so a copy of a built tree at another path rebuilds everything. Refreshing copies only outputs that differ.
/// </summary>
public sealed class OutputSnapshot(string root)
{
    public string Root { get; } = root;
    private string StateFile => Root + ".state";

    public SnapshotState? State
    {
        get
        {
            try { return File.Exists(StateFile) && Directory.Exists(Root) ? JsonSerializer.Deserialize(File.ReadAllText(StateFile), BuildStateJsonContext.Default.SnapshotState) : null; }
            catch (JsonException) { return null; }
        }
    }

    /// <summary>
    /// Makes the snapshot hold exactly <paramref name="outputs"/> (each a file under a root, by its path relative
    /// to it, with its stamp): copies those that differ and removes what the pre state no longer builds, so a
    /// leftover never stands in for a pre object. The state is written last, so an interrupted refresh is redone.
    /// An output marked Replaced is only ever replaced whole by its writer (a new file renamed over it), never
    /// rewritten in place: the snapshot links to it instead of copying it.
    /// </summary>
    public int Refresh(IEnumerable<(string Root, string Path, FileStamp Stamp, bool Replaced)> outputs, SnapshotState state)
    {
        File.Delete(StateFile);
        Directory.CreateDirectory(Root);
        var kept = new HashSet<string>(StringComparer.Ordinal);
        var directories = new HashSet<string>(StringComparer.Ordinal);
        var copied = 0;
        foreach (var (treeRoot, rel, source, replaced) in outputs)
        {
            kept.Add(rel);
            var target = new FileInfo(Path.Combine(Root, rel));
            if (target.Exists && target.Length == source.Length && target.LastWriteTimeUtc == source.LastWriteTimeUtc) continue;
            if (directories.Add(target.DirectoryName!)) Directory.CreateDirectory(target.DirectoryName!);
            var temp = target.FullName + ".tmp";
            File.Delete(temp);
            var from = Path.Combine(treeRoot, rel);
            if (!(replaced && new FileInfo(from).LastWriteTimeUtc == source.LastWriteTimeUtc && HardLink.TryCreate(from, temp)))
            {
                File.Copy(from, temp, overwrite: true);
                File.SetLastWriteTimeUtc(temp, source.LastWriteTimeUtc);
            }
            File.Move(temp, target.FullName, overwrite: true);
            copied++;
        }
        foreach (var (rel, _) in ChangedOutputs.Enumerate(Root, ChangedOutputs.Everything).ToList())
            if (!kept.Contains(rel)) File.Delete(Path.Combine(Root, rel));
        AtomicFile.WriteAllText(StateFile, JsonSerializer.Serialize(state, BuildStateJsonContext.Default.SnapshotState));
        return copied;
    }
}
