using GitKsplice.Kstuff.Options;
using GitKsplice.Reporting;

namespace GitKsplice.Kstuff.Bundles;

/// <summary>What kbundle is asked to do.</summary>
/// <param name="Root">$ROOT of the cross environment.</param>
/// <param name="Mach">$MACH of the cross environment.</param>
/// <param name="Databases">The -d database files, in order.</param>
/// <param name="Force">-F: rebuild even when current.</param>
/// <param name="Idtools">-T: include the idtools.</param>
/// <param name="CheckOnly">-Q: never build, only report.</param>
/// <param name="CrossIdtools">Where the cross environment keeps idtools, for -T when the tree has none.</param>
/// <param name="EntryTime">The time stamped on every archive member (the commit's), so the bytes depend on contents only.</param>
public sealed record BundleRequest(string Root, string Mach, IReadOnlyList<DatabaseFile> Databases, bool Force, bool Idtools,
    bool CheckOnly, string? CrossIdtools, DateTimeOffset EntryTime)
{
    /// <summary>$ROOT/$MACH.</summary>
    public string MachineTree => Path.Combine(Root, Mach);

    /// <summary>Stops writing the bundle (SIGTERM, ^C); nothing of it is left.</summary>
    public CancellationToken Cancel { get; init; }
}

public enum BundleOutcome { Built, UpToDate, Stale, PreBuilt }

/// <summary>The bundle's words on the wire (--json).</summary>
public static class BundleNames
{
    public static readonly Json.WireTable<BundleOutcome> Outcomes = new(
        (BundleOutcome.Built, "built"),
        (BundleOutcome.UpToDate, "up-to-date"),
        (BundleOutcome.Stale, "stale"),
        (BundleOutcome.PreBuilt, "pre-built"));

    public static readonly Json.WireTable<BundleFileState> States = new(
        (BundleFileState.Present, "present"),
        (BundleFileState.Missing, "missing"),
        (BundleFileState.Replaced, "replaced"));
}

/// <summary>The outcome; <see cref="Note"/> is set when a bundle was built, <see cref="Warnings"/> says what was left out.</summary>
public sealed record BundleResult(BundleOutcome Outcome, string BundlePath, string Reason, BundleNote? Note, DatabaseEntry? DatabaseEntry)
{
    public IReadOnlyList<string> Warnings { get; init; } = [];
}

/// <summary>kbundle: decides whether the bundle must be (re)built, and builds it.</summary>
public static class BundleBuilder
{
    public const string DefaultLocation = "etc/conf/kstuff.d/bundle.Z";

    /// <summary>The bundle's path: a database entry for $ROOT:$MACH if any, else $ROOT/$MACH/etc/conf/kstuff.d/bundle.Z.</summary>
    public static (string Path, DatabaseEntry? Entry) Locate(BundleRequest request)
    {
        var entry = DatabaseFile.Find(request.Databases, request.Root, request.Mach);
        return (entry?.BundleFile ?? Path.GetFullPath(Path.Combine(request.MachineTree, DefaultLocation)), entry);
    }

    public static BundleResult Build(BundleRequest request, DateTimeOffset now)
    {
        var (path, entry) = Locate(request);
        if (entry is { PreBuilt: true })
        {
            if (request.Force)
                throw new UserError($"-F cannot rebuild the bundle '{path}': it is marked pre-built at {entry.Where}");
            if (!File.Exists(path))
                throw new UserError($"the pre-built bundle '{path}' ({entry.Where}) does not exist");
            return new BundleResult(BundleOutcome.PreBuilt, path, $"pre-built ({entry.Where}): not rebuilt", null, entry);
        }

        if (!Directory.Exists(request.MachineTree))
            throw new UserError($"no kernel build tree at '{request.MachineTree}' ($ROOT/$MACH)");
        var (current, why) = IsCurrent(path, request.MachineTree);
        if (request.CheckOnly)
            return new BundleResult(current ? BundleOutcome.UpToDate : BundleOutcome.Stale, path, why + " (-Q: not built)", null, entry);
        if (current && !request.Force)
            return new BundleResult(BundleOutcome.UpToDate, path, why, null, entry);

        var contents = BundleCollector.Collect(request.MachineTree, request.Idtools, request.CrossIdtools, path);
        var sha256 = BundleArchive.Write(path, contents.Entries, request.EntryTime, request.Cancel);
        var size = new FileInfo(path).Length;
        var note = new BundleNote(path, sha256, size, now, Path.GetFullPath(request.Root), request.Mach,
            request.Idtools, contents.Drivers, contents.FileCount);
        return new BundleResult(BundleOutcome.Built, path, request.Force && current ? "rebuilt (-F)" : why, note, entry) { Warnings = contents.Skipped };
    }

    /// <summary>A bundle is current when it exists and is not older than the newest pack.d/*/Driver.o.</summary>
    public static (bool Current, string Why) IsCurrent(string bundlePath, string machineTree)
    {
        var bundle = new FileInfo(bundlePath);
        if (!bundle.Exists) return (false, "no bundle yet");
        var newest = BundleCollector.NewestDriverObject(machineTree);
        if (newest != null && newest > bundle.LastWriteTimeUtc) return (false, "a pack.d/*/Driver.o is newer than the bundle");
        return (true, "up to date (no pack.d/*/Driver.o is newer)");
    }

    public static string Sha256Of(string path) => BundleArchive.Sha256Of(path);
}
