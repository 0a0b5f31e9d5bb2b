using System.Security.Cryptography;
using System.Text;
using GitKsplice.Images;
using GitKsplice.Livepatch;
using GitKsplice.Reporting;

namespace GitKsplice.Updates;

/// <summary>An update tarball whose manifest, module and names passed <see cref="UpdateTarball.Open"/>.</summary>
public sealed record OpenedUpdate(string Tarball, Manifest Manifest, LivepatchModule Module, KernelModule Loadable)
{
    public UpdateId Id => Manifest.Id;
}

/// <summary>
/// An update tarball read as the untrusted input it is (apply, undo, view and try run what it says): only the
/// manifest and the module are read into memory, each bounded by what an update can hold; the manifest's names
/// are those its id gives (a module name the kernel allows, never a path); the module has the manifest's sha256
/// and names itself as the manifest does; and a tarball reached through a recorded update is that update's.
/// </summary>
public static class UpdateTarball
{
    /// <summary>A manifest of 100,000 functions is about 10 MiB.</summary>
    public const long MaxManifestBytes = 64L << 20;
    /// <summary>A livepatch module carries changed functions, not a kernel.</summary>
    public const long MaxModuleBytes = 512L << 20;

    /// <summary>
    /// Opens <paramref name="tarball"/>; with <paramref name="recorded"/>, the tarball must hold that update: its id, its
    /// post commit and (when the recorded manifest is kept) its module's sha256.
    /// </summary>
    public static OpenedUpdate Open(string tarball, UpdateInfo? recorded = null)
    {
        var manifestBytes = UpdateArchive.ReadMember(tarball, UpdateArchive.ManifestName, MaxManifestBytes)
            ?? throw new UserError($"not an update tarball (no manifest.json): {tarball}");
        var manifest = Manifest.FromJson(Encoding.UTF8.GetString(manifestBytes), $"manifest.json of {tarball}");
        if (recorded != null)
        {
            if (manifest.Id != recorded.Id)
                throw new UserError($"{tarball} is not the tarball of update {recorded.Id}: it holds update {manifest.Id}");
            if (manifest.Post != recorded.Post)
                throw new UserError($"{tarball} is not the tarball of update {recorded.Id}: it was built from {manifest.Post}, the update from {recorded.Post}");
            if (recorded.Manifest?.Module is { } kept && manifest.Module is { } module && kept.Sha256 != module.Sha256)
                throw new UserError($"{tarball} is not the tarball of update {recorded.Id}: its module's sha256 is {module.Sha256}, the update's {kept.Sha256}");
        }
        if (manifest.Module is not { } livepatch)
            throw new UserError($"update {manifest.Id} holds no livepatch module (only a Kbuild tree whose kernel has CONFIG_LIVEPATCH gets one): there is nothing to load");
        var bytes = UpdateArchive.ReadMember(tarball, livepatch.File, MaxModuleBytes)
            ?? throw new UserError($"update tarball {tarball} lacks its module {livepatch.File}");
        var sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
        if (sha != livepatch.Sha256)
            throw new UserError($"module {livepatch.File} in {tarball} is damaged: its sha256 is {sha}, its manifest says {livepatch.Sha256}");
        var loadable = KernelModule.Read(bytes, livepatch.File);
        if (loadable.Name != livepatch.Name)
            throw new UserError($"module {livepatch.File} in {tarball} names itself {loadable.Name}, its manifest says {livepatch.Name}");
        return new OpenedUpdate(tarball, manifest, livepatch, loadable);
    }
}
