using GitKsplice.Json;

namespace GitKsplice.Updates;

/// <summary>What a built update is: safe to hot-patch, or built with --force despite unsafe changes.</summary>
public enum UpdateVerdict { HotPatchable, ForcedUnsafe }

/// <summary>The words of the update verdicts, stable on the wire (the note, --json).</summary>
public static class UpdateVerdicts
{
    public static readonly WireTable<UpdateVerdict> Words = new(
        (UpdateVerdict.HotPatchable, "hot-patchable"),
        (UpdateVerdict.ForcedUnsafe, "unsafe (forced)"));

    public static string Word(this UpdateVerdict verdict) => Words[verdict];
}
