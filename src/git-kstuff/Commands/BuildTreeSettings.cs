using GitKsplice.Git;

namespace GitKsplice.Cli.Commands;

/// <summary>
/// Where the cross environment's build tree is: --root/--mach, else $ROOT/$MACH, else git config
/// kstuff.root/kstuff.mach; and where its idtools are: --idtools, else kstuff.idtools, else $TOOLS/etc/conf/bin.
/// </summary>
internal sealed record BuildTreeSettings(string Root, string Mach, string? CrossIdtools)
{
    public static BuildTreeSettings Resolve(KspliceRepository repository, string? root, string? mach, string? idtools)
    {
        var config = repository.Repo.Config;
        root ??= Environment.GetEnvironmentVariable("ROOT") is { Length: > 0 } r ? r : config.Get<string>("kstuff.root")?.Value;
        mach ??= Environment.GetEnvironmentVariable("MACH") is { Length: > 0 } m ? m : config.Get<string>("kstuff.mach")?.Value;
        if (string.IsNullOrEmpty(root) || string.IsNullOrEmpty(mach))
            throw new UserError("no build tree: set $ROOT and $MACH (or git config kstuff.root and kstuff.mach, or --root and --mach)");
        idtools ??= config.Get<string>("kstuff.idtools")?.Value
            ?? (Environment.GetEnvironmentVariable("TOOLS") is { Length: > 0 } tools ? Path.Combine(tools, "etc", "conf", "bin") : null);
        return new BuildTreeSettings(Path.GetFullPath(root), mach, idtools == null ? null : Path.GetFullPath(idtools));
    }
}
