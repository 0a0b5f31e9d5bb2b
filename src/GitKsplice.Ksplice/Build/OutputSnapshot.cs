using System.Text.Json;
using GitKsplice.IO;
using GitKsplice.Json;

namespace GitKsplice.Build;

/// <summary>Which pre state a snapshot holds the outputs of.</summary>
public sealed record SnapshotState(string SourceTree, string BuildKey, string ConfigHash);

/// <summary>
/// A file a snapshot keeps: under which root it is now, its path relative to that root, its stamp, and whether
/// its writer only ever replaces it whole (a new file renamed over it), so the snapshot may link to it.
/// </summary>
public readonly record struct SnapshotOutput(string Root, string Path, FileStamp Stamp, bool Replaced);

/// <summary>
/// The build outputs of the pre state (objects and modules), copied aside with their mtimes once the pre
/// state is built. Every update is then built incrementally in the one build tree and compared against this
/// snapshot. One tree at one path matters for Kbuild: its tools and dependency files record absolute paths,
/// so a copy of a built tree at another path rebuilds everything. Refreshing copies only outputs that differ.
/// </summary>
public sealed class OutputSnapshot(string root, string stateFile)
{
    public string Root { get; } = root;
    private string StateFile { get; } = stateFile;

    public SnapshotState? State
    {
        get
        {
            try { return File.Exists(StateFile) && Directory.Exists(Root) ? JsonSerializer.Deserialize(File.ReadAllText(StateFile), BuildStateJsonContext.Default.SnapshotState) : null; }
            catch (JsonException) { return null; }
        }
    }

    /// <summary>
    /// Makes the snapshot hold exactly <paramref name="outputs"/>: copies those that differ and removes what the pre state no longer builds, so a
    /// leftover never stands in for a pre object. The state is written last, so an interrupted refresh is redone.
    /// An output marked Replaced is linked to instead of copied.
    /// </summary>
    public int Refresh(IEnumerable<SnapshotOutput> outputs, SnapshotState state)
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
