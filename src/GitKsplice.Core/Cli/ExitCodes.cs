namespace GitKsplice.Cli;

/// <summary>Exit codes shared by every command; documented in the manual pages.</summary>
public static class ExitCodes
{
    public const int Success = 0;
    /// <summary>Bad input or a failed step: one "fatal:" line names the thing.</summary>
    public const int Error = 1;
    /// <summary>The change is not safe to hot-patch (refused without --force).</summary>
    public const int Unsafe = 2;
    /// <summary>The change changes no object code: nothing to ship.</summary>
    public const int NoChange = 3;
    /// <summary>The command line itself could not be parsed.</summary>
    public const int Usage = 129;
}
