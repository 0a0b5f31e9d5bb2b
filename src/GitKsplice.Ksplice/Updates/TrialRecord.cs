using System.Globalization;
using GitKsplice.Git;
using GitKsplice.Json;

namespace GitKsplice.Updates;

/// <summary>
/// The last `git ksplice try` of an update, a "ksplice-tried: &lt;id&gt;" record in the note of its post commit:
/// when, the result, how long it took, the kernel, the updates loaded with it, and for a failure the first
/// reason and the serial log.
/// </summary>
public sealed record TrialRecord(string Id, DateTimeOffset When, TrialResult Result, double Seconds, string Release,
    IReadOnlyList<string> With, string? Failure, string? Log)
{
    public const string Kind = "ksplice-tried";

    public static TrialRecord From(string id, TrialReport report, DateTimeOffset when, IReadOnlyList<string> with) =>
        new(id, when, report.Result, Math.Round(report.Elapsed.TotalSeconds, 1), report.Release, with,
            report.Failures.FirstOrDefault(), report.Passed ? null : report.SerialLog);

    public NoteRecord ToRecord()
    {
        var r = new NoteRecord(Kind, Id)
            .Add("when", WireTime.Format(When))
            .Add("result", Result.Word())
            .Add("time", Seconds.ToString("0.0", CultureInfo.InvariantCulture) + " s")
            .Add("kernel", Release);
        foreach (var other in With) r.Add("with", other);
        if (Failure != null) r.Add("failure", Failure);
        if (Log != null) r.Add("log", Log);
        return r;
    }

    /// <summary>The update's last trial; a record whose result this version cannot read reads as none.</summary>
    public static TrialRecord? FromNote(string id, string? note) =>
        NoteRecord.ParseAll(note).LastOrDefault(r => r.Kind == Kind && r.Name == id) is { } r && TrialResults.Words.Parse(r.Get("result")) is { } result ? new(
            id,
            WireTime.Parse(r.Get("when")) ?? DateTimeOffset.MinValue,
            result,
            double.TryParse(r.Get("time")?.Split(' ')[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var s) ? s : 0,
            r.Get("kernel") ?? "", r.GetAll("with"), r.Get("failure"), r.Get("log")) : null;
}
