using System.Text.Json;
using GitKsplice.Analysis;
using GitKsplice.Json;
using GitKsplice.Livepatch;

namespace GitKsplice.Updates;

/// <summary>One changed object of an update: its two versions' hashes and what changed in it.</summary>
public sealed record ObjectEntry(
    string Path,
    string? PreSha256,
    string PostSha256,
    IReadOnlyList<string> Changed,
    IReadOnlyList<string> New,
    IReadOnlyList<string> Removed,
    IReadOnlyList<UnsafeFinding> Unsafe,
    IReadOnlyList<LineOnlyChange> LineOnly)
{
    /// <summary>The pieces each changed or new function brings along (.cold parts, fresh read-only data).</summary>
    public IReadOnlyList<CarriedPieces> Carried { get; init; } = [];
}

/// <summary>A new version of a module or other build output packaged with --build-modules.</summary>
public sealed record ModuleEntry(string Path, string Sha256);

/// <summary>
/// manifest.json of an update tarball: everything needed to know what was built from what. It holds no
/// timestamps or local paths, so the same inputs and id give the same bytes. Not sealed: the --json of create
/// and show is the manifest with their own fields after its own, a record derived from it.
/// </summary>
public record Manifest
{
    public const int CurrentFormat = 1;

    public int Format { get; init; } = CurrentFormat;
    public required UpdateId Id { get; init; }
    public required string Pre { get; init; }
    public required string PreTree { get; init; }
    public required string Post { get; init; }
    public required string PostTree { get; init; }
    /// <summary>Where the change came from: "commit X", "range A..B", "patch FILE", "diffext EXT".</summary>
    public required string Source { get; init; }
    public required string Compiler { get; init; }
    public required string BuildCommand { get; init; }
    public required string CompilerFlags { get; init; }
    public required IReadOnlyList<ObjectEntry> Objects { get; init; }
    public IReadOnlyList<ModuleEntry> Modules { get; init; } = [];
    /// <summary>The livepatch module that loads the update; null for a tree that cannot have one.</summary>
    public LivepatchModule? Module { get; init; }
    /// <summary>True when the update was built with --force despite unsafe findings.</summary>
    public bool Forced { get; init; }

    public string ToJson() => JsonSerializer.Serialize(this, UpdateJsonContext.Relaxed.Manifest) + "\n";

    /// <summary>
    /// The manifest in <paramref name="json"/>, checked field by field (<see cref="ManifestCheck"/>); anything else
    /// is one error line naming <paramref name="source"/> and the field.
    /// </summary>
    public static Manifest FromJson(string json, string source)
    {
        Manifest? manifest;
        try { manifest = JsonSerializer.Deserialize(json, UpdateJsonContext.Relaxed.Manifest); }
        catch (BadUpdateIdException e) { throw NotAccepted($"id: {e.Message}"); }
        catch (JsonException e)
        {
            var field = e.Path is { Length: > 1 } path ? path.TrimStart('$', '.') : "the top level";
            throw new Reporting.UserError($"{source} is not a manifest: {field}: {e.Message.Split(". ")[0].TrimEnd('.')}");
        }
        if (manifest is null) throw new Reporting.UserError($"{source} is not a manifest: it is null");
        return ManifestCheck.Problem(manifest) is { } problem ? throw NotAccepted(problem) : manifest;

        Reporting.UserError NotAccepted(string problem) => new($"{source} is not a manifest this git-ksplice accepts: {problem}");
    }
}
