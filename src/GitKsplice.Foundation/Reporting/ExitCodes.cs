namespace GitKsplice.Reporting;

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
    /// <summary>Interrupted (SIGINT): nothing was left half-written.</summary>
    public const int Interrupted = 130;

    /// <summary>Every code with its meaning, for the EXIT STATUS section of the manual pages.</summary>
    public static IReadOnlyList<(int Code, string Meaning)> Documented { get; } =
    [
        (Success, "Success."),
        (Error, "Bad input or a failed step; one \"fatal:\" line on standard error names the thing."),
        (Unsafe, "The change is not safe to hot-patch (create refuses it without --force; diff-objects reports it)."),
        (NoChange, "The change changes no object code: there is nothing to ship, and no tarball is written."),
        (Usage, "The command line could not be parsed (\"error:\" lines, as git's own usage errors)."),
        (Interrupted, "Interrupted; refs, notes and archives are left as they were."),
    ];
}
