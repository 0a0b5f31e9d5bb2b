using System.Globalization;
using GitKsplice.Git;
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
        var stamp = record.Time.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        var note = new NoteRecord(Kind, $"{stamp} {record.Target}:{record.Kname}")
            .Add("target", record.Target)
            .Add("kname", record.Kname)
            .Add("mode", record.Mode)
            .Add("time", stamp)
            .Add("result", record.Result);
        if (bundle != null) note.Add("bundle", bundle);
        if (record.FailedStep != null) note.Add("failed-step", record.FailedStep);
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
            {
                var time = DateTimeOffset.TryParse(r.Get("time"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t : DateTimeOffset.UnixEpoch;
                var drivers = (r.Get("drivers") ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries);
                result.Add(new NotedDelivery(commit, r.Get("bundle"),
                    new DeliveryRecord(r.Get("target") ?? "", r.Get("kname") ?? "", r.Get("mode") ?? "", time, r.Get("result") ?? "", r.Get("failed-step"), drivers)));
            }
        }
        return result.OrderBy(d => d.Record.Time).ThenBy(d => d.Commit, StringComparer.Ordinal).ToList();
    }
}
