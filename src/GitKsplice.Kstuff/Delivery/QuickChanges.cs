using System.Security.Cryptography;
using GitKsplice.Git;
using GitKsplice.Kstuff.Bundles;
using GitKsplice.Reporting;

namespace GitKsplice.Kstuff.Delivery;

/// <summary>
/// -Q: which pack.d/*/Driver.o files changed since the bundle was built. The bundle's note names the bundle
/// and its sha256; the bundle still being that file, its Driver.o members are the state the target got,
/// and each is compared by content hash with the build tree's (file times are never trusted).
/// </summary>
public static class QuickChanges
{
    /// <summary>The noted bundle at <paramref name="bundlePath"/>: its commit and note; refuses a bundle that changed since.</summary>
    public static NotedBundle FindNote(KspliceRepository repository, string bundlePath)
    {
        var full = Path.GetFullPath(bundlePath);
        var noted = new BundleNotes(repository).All().LastOrDefault(b => Path.GetFullPath(b.Note.Path) == full)
            ?? throw new UserError($"-Q: no note in {BundleNote.NotesRef} for the bundle {full}: deliver it once without -Q");
        return noted.State switch
        {
            BundleFileState.Missing => throw new UserError($"-Q: the bundle {full} noted on {noted.Commit[..12]} is gone: deliver once without -Q"),
            BundleFileState.Replaced => throw new UserError($"-Q: the bundle {full} is no longer the one noted on {noted.Commit[..12]} (sha256 differs): deliver once without -Q"),
            _ => noted,
        };
    }

    /// <summary>
    /// The Driver.o files of <paramref name="machineTree"/> whose content differs from the bundle's; drivers the
    /// bundle does not have at all come back as <c>New</c> (-Q cannot add a driver: it sends no configuration).
    /// </summary>
    public static (IReadOnlyList<QuickFile> Changed, IReadOnlyList<string> New) Changed(string bundlePath, string machineTree)
    {
        var inBundle = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var member in BundleArchive.Read(bundlePath))
        {
            var parts = member.Name.TrimStart('.', '/').Split('/');
            if (parts is ["pack.d", var driver, "Driver.o"])
                inBundle[driver] = Convert.ToHexStringLower(SHA256.HashData(member.Data));
        }
        var pack = Path.Combine(BundleCollector.ConfDir(machineTree), "pack.d");
        var changed = new List<QuickFile>();
        var added = new List<string>();
        if (!Directory.Exists(pack)) return (changed, added);
        foreach (var dir in Directory.EnumerateDirectories(pack).Order(StringComparer.Ordinal))
        {
            var file = Path.Combine(dir, "Driver.o");
            if (!File.Exists(file)) continue;
            GitKsplice.IO.FileKinds.RequireRegularFile(file, "-Q: driver object");
            var driver = Path.GetFileName(dir);
            using var stream = File.OpenRead(file);
            var hash = Convert.ToHexStringLower(SHA256.HashData(stream));
            if (!inBundle.TryGetValue(driver, out var old)) added.Add(driver);
            else if (old != hash) changed.Add(new QuickFile(driver, file));
        }
        return (changed, added);
    }
}
