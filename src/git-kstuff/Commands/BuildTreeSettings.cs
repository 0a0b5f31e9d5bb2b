using GitKsplice.Git;
using GitKsplice.Kstuff.Options;

namespace GitKsplice.Cli.Commands;

/// <summary>
/// Where the cross environment's build tree is: --root/--mach, else $ROOT/$MACH, else git config
/// kstuff.root/kstuff.mach; and where its idtools are: --idtools, else kstuff.idtools, else $TOOLS/etc/conf/bin.
/// </summary>
internal sealed record BuildTreeSettings(string Root, string Mach, string? CrossIdtools)
{
    public static BuildTreeSettings Resolve(KspliceRepository repository, string? root, string? mach, string? idtools) =>
        Resolve(KstuffSettings.Load(repository.WorkDir ?? repository.GitDir), root, mach, idtools);

    public static BuildTreeSettings Resolve(KstuffSettings settings, string? root, string? mach, string? idtools)
    {
        root ??= Environment.GetEnvironmentVariable("ROOT") is { Length: > 0 } r ? r : settings.Get("kstuff.root");
        mach ??= Environment.GetEnvironmentVariable("MACH") is { Length: > 0 } m ? m : settings.Get("kstuff.mach");
        if (string.IsNullOrEmpty(root) || string.IsNullOrEmpty(mach))
            throw new UserError("no build tree: set $ROOT and $MACH (or git config kstuff.root and kstuff.mach, or --root and --mach)");
        idtools ??= settings.Get("kstuff.idtools")
            ?? (Environment.GetEnvironmentVariable("TOOLS") is { Length: > 0 } tools ? Path.Combine(tools, "etc", "conf", "bin") : null);
        return new BuildTreeSettings(Path.GetFullPath(root), mach, idtools == null ? null : Path.GetFullPath(idtools));
    }
}
