using GitKsplice.Json;

namespace GitKsplice.Updates;

/// <summary>
/// The verdict on a change, one vocabulary wherever it is said: diff-objects of one object, create of an update
/// (hot-patchable, or built with --force despite unsafe changes), the hook of a commit (which also finds no code
/// change or a failed build).
/// </summary>
public enum UpdateVerdict { HotPatchable, ForcedUnsafe, Unsafe, NoCodeChange, BuildFailed }

/// <summary>The words of the verdicts, stable on the wire (notes, --json, the hook's notify command).</summary>
public static class UpdateVerdicts
{
    public static readonly WireTable<UpdateVerdict> Words = new(
        (UpdateVerdict.HotPatchable, "hot-patchable"),
        (UpdateVerdict.ForcedUnsafe, "unsafe (forced)"),
        (UpdateVerdict.Unsafe, "unsafe"),
        (UpdateVerdict.NoCodeChange, "no-code-change"),
        (UpdateVerdict.BuildFailed, "build-failed"));

    public static string Word(this UpdateVerdict verdict) => Words[verdict];
}
