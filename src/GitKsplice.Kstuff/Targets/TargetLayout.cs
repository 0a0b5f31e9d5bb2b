using GitKsplice.Reporting;

namespace GitKsplice.Kstuff.Targets;

/// <summary>
/// The paths of one delivery on the target system, as kstuff(1) lays them out: kname K gets the tree
/// /etc/conf.K and the kernel /stand/K; kname "unix" is built in /etc/.kbundle and rotated into
/// /etc/conf and /stand/unix. The merge starts from the tree of the -t kernel (default unix: /etc/conf).
/// </summary>
public sealed record TargetLayout(string Kname, string MergeWith = "unix")
{
    public bool IsUnix => Kname == "unix";

    /// <summary>Where the configuration tree of this kernel lives once installed.</summary>
    public string ConfTree => IsUnix ? "/etc/conf" : "/etc/conf." + Kname;

    /// <summary>Where the new tree is staged and built before anything live changes.</summary>
    public string StagingTree => IsUnix ? "/etc/.kbundle" : "/etc/.kstuff." + Kname;

    /// <summary>The tree the merge starts from (-t).</summary>
    public string MergeTree => MergeWith == "unix" ? "/etc/conf" : "/etc/conf." + MergeWith;

    public string Kernel => "/stand/" + Kname;
    public const string StandDir = "/stand";
    public const string OldConf = "/etc/conf.unix.old";
    public const string SystemIncludes = "/usr/include";
    public const string DevDir = "/dev";
    /// <summary>The idbuild used when neither git config nor the tree names one.</summary>
    public const string SystemIdbuild = "/etc/conf/bin/idbuild";

    /// <summary>Undo data of the install in progress (removed when it succeeded or was undone).</summary>
    public string UndoDir => "/etc/.kstuff-undo." + Kname;

    /// <summary>What the last install printed, kept so that a dropped connection can learn the outcome.</summary>
    public string InstallLog => "/etc/.kstuff-install." + Kname + ".log";

    /// <summary>Where -Q puts the changed Driver.o files before they replace the tree's.</summary>
    public string QuickStage => "/etc/.kstuff-quick." + Kname;

    /// <summary>Held while a delivery of this kname runs.</summary>
    public string LockDir => "/etc/.kstuff-lock." + Kname;

    /// <summary>The -c command file while it runs.</summary>
    public string CommandFile => "/etc/.kstuff-command." + Kname;

    /// <summary>The kname when none is given: unix.&lt;login&gt;.</summary>
    public static string DefaultKname(string login)
    {
        var kname = "unix." + login;
        try { return TargetAddress.CheckKname(kname)!; }
        catch (UserError) { throw new UserError($"your login '{login}' does not make a kernel name; give host:kname"); }
    }

    /// <summary>The invoking user's login, as the man page's &lt;login&gt;.</summary>
    public static string Login() =>
        Environment.GetEnvironmentVariable("LOGNAME") is { Length: > 0 } l ? l
        : Environment.GetEnvironmentVariable("USER") is { Length: > 0 } u ? u
        : Environment.UserName;
}
