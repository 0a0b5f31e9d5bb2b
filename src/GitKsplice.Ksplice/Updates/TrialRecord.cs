using System.Globalization;
using GitKsplice.Git;
using GitKsplice.Json;

namespace GitKsplice.Updates;

/// <summary>
/// The last `git ksplice try` of an update, a "ksplice-tried: &lt;id&gt;" record in the note of its post commit:
/// when, the result, how long it took, the kernel, the updates loaded with it, and for a failure the first
/// reason and the serial log.
/// </summary>
public sealed record TrialRecord(UpdateId Id, DateTimeOffset When, TrialResult Result, double Seconds, string Release,
    IReadOnlyList<UpdateId> With, string? Failure, string? Log)
{
    public const string Kind = "ksplice-tried";

    public static TrialRecord From(UpdateId id, TrialReport report, DateTimeOffset when, IReadOnlyList<UpdateId> with) =>
        new(id, when, report.Result, Math.Round(report.Elapsed.TotalSeconds, 1), report.Release, with,
            report.Failures.FirstOrDefault(), report.Passed ? null : report.SerialLog);

    public NoteRecord ToRecord()
    {
        var r = new NoteRecord(Kind, Id.Value)
            .Add("when", WireTime.Format(When))
            .Add("result", Result.Word())
            .Add("time", Seconds.ToString("0.0", CultureInfo.InvariantCulture) + " s")
            .Add("kernel", Release);
        foreach (var other in With) r.Add("with", other.Value);
        if (Failure != null) r.Add("failure", Failure);
        if (Log != null) r.Add("log", Log);
        return r;
    }

    /// <summary>
    /// The update's last trial; a record whose result this version cannot read reads as none, a "with" that is not
    /// an update id is left out.
    /// </summary>
    public static TrialRecord? FromNote(UpdateId id, string? note) =>
        NoteRecord.ParseAll(note).LastOrDefault(r => r.Kind == Kind && r.Name == id.Value) is { } r && TrialResults.Words.Parse(r.Get("result")) is { } result ? new(
            id,
            WireTime.Parse(r.Get("when")) ?? DateTimeOffset.MinValue,
            result,
            double.TryParse(r.Get("time")?.Split(' ')[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var s) ? s : 0,
            r.Get("kernel") ?? "", UpdateId.Valid(r.GetAll("with")), r.Get("failure"), r.Get("log")) : null;
}
