using System.Text.Json.Serialization;

namespace GitKsplice.Build;

/// <summary>
/// The build state files under the git dir, in the shape they have always had (PascalCase names, one line), so
/// state written by an earlier version still reads.
/// </summary>
[JsonSerializable(typeof(BuildTreeState))]
[JsonSerializable(typeof(SnapshotState))]
[JsonSerializable(typeof(LastBuild))]
internal sealed partial class BuildStateJsonContext : JsonSerializerContext;
