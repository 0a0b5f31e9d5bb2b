using GitKsplice.Git;
using GitKsplice.Json;
using GitKsplice.Kstuff.Bundles;

namespace GitKsplice.Kstuff.Delivery;

/// <summary>A delivery record together with the commit whose note holds it and the bundle it sent.</summary>
public sealed record NotedDelivery(string Commit, string? Bundle, DeliveryRecord Record);

/// <summary>
/// Deliveries in refs/notes/kstuff, beside the bundle records: one "kstuff-delivery" record per delivery
/// on the commit the bundle was built from, so git log --notes=kstuff shows where each build went.
/// </summary>
public sealed class DeliveryNotes(KspliceRepository repository)
{
    public const string Kind = "kstuff-delivery";
    private readonly NotesStore _store = new(repository, BundleNote.NotesRef);

    public void Record(string commit, string? bundle, DeliveryRecord record)
    {
        var stamp = WireTime.Format(record.Time);
        // The record's name must differ from every earlier delivery's (a record of the same name is replaced):
        // two deliveries of one kname may start within a second.
        var unique = record.Time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture);
        var note = new NoteRecord(Kind, $"{unique} {record.Target}:{record.Kname}")
            .Add("target", record.Target)
            .Add("kname", record.Kname)
            .Add("mode", DeliveryNames.Modes[record.Mode])
            .Add("time", stamp)
            .Add("result", DeliveryNames.Results[record.Result]);
        if (bundle != null) note.Add("bundle", bundle);
        if (record.FailedStep is { } step) note.Add("failed-step", DeliveryNames.Steps[step]);
        if (record.Error != null) note.Add("error", record.Error.ReplaceLineEndings(" "));
        if (record.Drivers is { Count: > 0 } drivers) note.Add("drivers", string.Join(' ', drivers));
        _store.Edit(new Dictionary<string, Func<string?, string?>> { [commit] = current => note.MergeInto(current) },
            $"kstuff delivery to {record.Target}:{record.Kname}");
    }

    /// <summary>Every recorded delivery, oldest first.</summary>
    public IReadOnlyList<NotedDelivery> All()
    {
        var result = new List<NotedDelivery>();
        foreach (var (commit, text) in _store.ReadAll())
        {
            if (!text.Contains(Kind + ": ", StringComparison.Ordinal)) continue; // most notes only describe a bundle
            foreach (var r in NoteRecord.ParseAll(text).Where(r => r.Kind == Kind))
                result.Add(new NotedDelivery(commit, r.Get("bundle"), FromRecord(r)));
        }
        return result.OrderBy(d => d.Record.Time).ThenBy(d => d.Commit, StringComparer.Ordinal).ToList();
    }

    private static DeliveryRecord FromRecord(NoteRecord r)
    {
        var result = r.Get("result") ?? "";
        var error = r.Get("error");
        // Older notes wrote "failed: <error>" in one field.
        if (result.StartsWith("failed: ", StringComparison.Ordinal)) (result, error) = ("failed", result["failed: ".Length..]);
        return new DeliveryRecord(r.Get("target") ?? "", r.Get("kname") ?? "",
            DeliveryNames.ParseMode(r.Get("mode")) ?? DeliveryMode.Normal,
            WireTime.Parse(r.Get("time")) ?? DateTimeOffset.UnixEpoch,
            DeliveryNames.Results.Parse(result) ?? DeliveryResult.Failed,
            DeliveryNames.ParseStep(r.Get("failed-step")), error,
            (r.Get("drivers") ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries));
    }
}
