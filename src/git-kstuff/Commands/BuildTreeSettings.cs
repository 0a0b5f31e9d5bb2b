using GitKsplice.Git;
using GitKsplice.Kstuff.Options;

namespace GitKsplice.Cli.Commands;

/// <summary>
/// Where the cross environment's build tree is: --root/--mach, else $ROOT/$MACH, else git config
/// kstuff.root/kstuff.mach; and where its idtools are: --idtools, else $TOOLS/etc/conf/bin, else kstuff.idtools.
/// </summary>
internal sealed record BuildTreeSettings(string Root, string Mach, string? CrossIdtools)
{
    public static BuildTreeSettings Resolve(KspliceRepository repository, string? root, string? mach, string? idtools) =>
        Resolve(new KstuffSettings(repository.Config), root, mach, idtools);

    public static BuildTreeSettings Resolve(KstuffSettings settings, string? root, string? mach, string? idtools)
    {
        root ??= settings.Config.Get(ConfigKeys.Root);
        mach ??= settings.Config.Get(ConfigKeys.Mach);
        if (string.IsNullOrEmpty(root) || string.IsNullOrEmpty(mach))
            throw new UserError("no build tree: set $ROOT and $MACH (or git config kstuff.root and kstuff.mach, or --root and --mach)");
        idtools ??= settings.Config.Get(ConfigKeys.Idtools);
        return new BuildTreeSettings(Path.GetFullPath(root), mach, idtools == null ? null : Path.GetFullPath(idtools));
    }
}
