using GitKsplice.Build;
using GitKsplice.Git;
using GitKsplice.Images;
using GitKsplice.Reporting;
using GitKsplice.Vm;

namespace GitKsplice.Updates;

/// <summary>
/// Which recorded updates a trial loads, in series order, and which kernel it boots: what `git ksplice try`
/// resolves from ids and options before anything starts.
/// </summary>
public sealed class TrialPlan(KspliceRepository repository)
{
    private readonly UpdateStore _store = new(repository);

    /// <summary>
    /// The updates named (default: the newest), each preceded by the updates it follows in its series: a
    /// --series update's module patches code its predecessor's module brought, so it never loads alone.
    /// </summary>
    public IReadOnlyList<UpdateInfo> Updates(IReadOnlyList<UpdateId> ids, Action<string> info)
    {
        var requested = ids.Count > 0 ? ids : [Newest()];
        var ordered = new List<UpdateInfo>();
        var visiting = new HashSet<UpdateId>();
        void Add(UpdateId id, UpdateId? neededBy)
        {
            if (ordered.Any(u => u.Id == id)) return;
            if (!visiting.Add(id)) throw new UserError($"update {id} follows itself in its series");
            var update = _store.Get(id);
            if (update.Manifest?.Module?.Follows is { } previous)
            {
                if (!UpdateId.TryParse(previous, out var previousId) || _store.PostCommit(previousId) == null)
                    throw new UserError($"update {id} follows update {previous}, which is not recorded: it cannot be loaded without it");
                Add(previousId, id);
            }
            if (neededBy != null && !requested.Contains(id)) info($"loading {id} first: {neededBy} follows it in its series");
            ordered.Add(update);
        }
        foreach (var id in requested) Add(id, null);
        return ordered;
    }

    /// <summary>The tarball holding an update's module, which must still be where create wrote it and be that update's (<see cref="UpdateTarball.Open"/>).</summary>
    public static TrialInput Input(UpdateInfo update)
    {
        if (update.Note?.Tarball is not { } tarball || !File.Exists(tarball))
            throw new UserError($"the tarball of update {update.Id} is gone{(update.Note?.Tarball is { } t ? $" ({t})" : "")}: build it again with git ksplice create");
        return new TrialInput(UpdateTarball.Open(tarball, update));
    }

    private UpdateId Newest()
    {
        // Notes carry no time; the manifest copy create keeps (else the tarball) was written when the update was built.
        DateTime Built(UpdateInfo u) =>
            File.Exists(_store.ManifestPath(u.Id)) ? File.GetLastWriteTimeUtc(_store.ManifestPath(u.Id))
            : u.Note?.Tarball is { } t && File.Exists(t) ? File.GetLastWriteTimeUtc(t) : DateTime.MinValue;
        return _store.All().OrderBy(Built).ThenBy(u => u.Id.Value, StringComparer.Ordinal).LastOrDefault()?.Id
            ?? throw new UserError("no update is recorded: build one with git ksplice create");
    }

    /// <summary>The running kernel's image: <paramref name="kernel"/>, else vmlinuz or bzImage in ORIG_CONFIG.</summary>
    public string Kernel(string? kernel, string? configDir)
    {
        if (kernel != null)
            return File.Exists(kernel) ? Path.GetFullPath(kernel) : throw new UserError($"kernel image does not exist: {kernel}");
        var dir = OriginalConfig.DirectoryOf(repository, configDir);
        return KernelImage.FindIn(dir) is { } found ? Path.GetFullPath(found)
            : throw new UserError($"no kernel image to boot: put the running kernel's {string.Join(" or ", KernelImage.ConfigNames)} in {dir ?? "<tree>/ksplice"} (ORIG_CONFIG), or name it with --kernel");
    }

    /// <summary>Where a trial's serial console is logged (kept for a failed trial; git ksplice gc ages it out).</summary>
    public string SerialLog(IReadOnlyList<UpdateInfo> updates)
    {
        Directory.CreateDirectory(repository.Layout.Logs);
        return repository.Layout.Log($"try-{updates[^1].Id}");
    }

    /// <summary>Records the trial in each update's note, beside create's record (one per update, the latest).</summary>
    public void Record(IReadOnlyList<UpdateInfo> updates, TrialReport report, DateTimeOffset when)
    {
        var edits = new Dictionary<string, Func<string?, string?>>();
        foreach (var update in updates)
        {
            var record = TrialRecord.From(update.Id, report, when, updates.Select(u => u.Id).Where(id => id != update.Id).ToList());
            edits[update.Post] = edits.TryGetValue(update.Post, out var earlier)
                ? note => record.ToRecord().MergeInto(earlier(note))
                : note => record.ToRecord().MergeInto(note);
        }
        _store.Notes.Edit(edits, $"ksplice try {string.Join(' ', updates.Select(u => u.Id))}: {report.Result.Word()}");
    }
}
