using GitKsplice.Kstuff.Options;
using GitKsplice.Reporting;
using GitKsplice.Settings;

namespace GitKsplice.Kstuff.Bundles;

/// <summary>
/// The cross environment's kernel build tree $ROOT/$MACH, whose installed etc/conf and usr/include a bundle
/// carries, and where its idtools are. (Not ksplice's build tree: that one lives under the git dir.)
/// </summary>
public sealed record MachineTree(string Root, string Mach, string? CrossIdtools)
{
    public string Path => System.IO.Path.Combine(Root, Mach);

    /// <summary>
    /// --root/--mach, else $ROOT/$MACH, else git config kstuff.root/kstuff.mach; the idtools: --idtools, else
    /// $TOOLS/etc/conf/bin, else kstuff.idtools (the one precedence of every setting). A relative directory is
    /// taken from <paramref name="workingDirectory"/>, the command's.
    /// </summary>
    public static MachineTree Resolve(KstuffSettings settings, string workingDirectory, string? root = null, string? mach = null, string? idtools = null) =>
        TryResolve(settings, workingDirectory, root, mach, idtools)
        ?? throw new UserError("no build tree: set $ROOT and $MACH (or git config kstuff.root and kstuff.mach, or --root and --mach)");

    /// <summary>As <see cref="Resolve"/>, or null when $ROOT or $MACH is set nowhere.</summary>
    public static MachineTree? TryResolve(KstuffSettings settings, string workingDirectory, string? root = null, string? mach = null, string? idtools = null)
    {
        root ??= settings.Config.Get(KstuffConfigKeys.Root);
        mach ??= settings.Config.Get(KstuffConfigKeys.Mach);
        if (string.IsNullOrEmpty(root) || string.IsNullOrEmpty(mach)) return null;
        idtools ??= settings.Config.Get(KstuffConfigKeys.Idtools);
        return new MachineTree(System.IO.Path.GetFullPath(root, workingDirectory), mach,
            idtools == null ? null : System.IO.Path.GetFullPath(idtools, workingDirectory));
    }
}
