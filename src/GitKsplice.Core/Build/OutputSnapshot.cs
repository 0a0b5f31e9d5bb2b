using System.Text.Json;
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
            try { return File.Exists(StateFile) && Directory.Exists(Root) ? JsonSerializer.Deserialize(File.ReadAllText(StateFile), StateJsonContext.Default.SnapshotState) : null; }
            catch (JsonException) { return null; }
        }
    }

    /// <summary>
    /// Copies the outputs (each source a directory and the outputs of it wanted) that differ from the snapshot;
    /// the state is written last, so an interrupted refresh is redone.
    /// </summary>
    public int Refresh(IEnumerable<(string Root, OutputFilter Wanted)> sources, SnapshotState state)
    {
        File.Delete(StateFile);
        Directory.CreateDirectory(Root);
        var copied = 0;
        foreach (var (treeRoot, wanted) in sources)
            foreach (var (rel, source) in ChangedOutputs.Enumerate(treeRoot, wanted))
            {
                var target = new FileInfo(Path.Combine(Root, rel));
                if (target.Exists && target.Length == source.Length && target.LastWriteTimeUtc == source.LastWriteTimeUtc) continue;
                Directory.CreateDirectory(target.DirectoryName!);
                var temp = target.FullName + ".tmp";
                File.Copy(Path.Combine(treeRoot, rel), temp, overwrite: true);
                File.SetLastWriteTimeUtc(temp, source.LastWriteTimeUtc);
                File.Move(temp, target.FullName, overwrite: true);
                copied++;
            }
        AtomicFile.WriteAllText(StateFile, JsonSerializer.Serialize(state, StateJsonContext.Default.SnapshotState));
        return copied;
    }
}
