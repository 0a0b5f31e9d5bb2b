namespace GitKsplice.Updates;

/// <summary>
/// How a create ended, when it ran to an answer: the expected results are values, not exceptions. The
/// command maps them to exit codes, the hook job to verdicts. (Bad input and failed steps stay errors.)
/// </summary>
public abstract record CreateOutcome
{
    private CreateOutcome() { }

    /// <summary>The update was built; packaged in <paramref name="Tarball"/> unless a validation run.</summary>
    public sealed record Built(Manifest Manifest, string? Tarball, UpdateVerdict Verdict) : CreateOutcome;

    /// <summary>The change makes no source change against the pre state, or changes no object code.</summary>
    public sealed record NoCodeChange(string Reason) : CreateOutcome;

    /// <summary>The analysis found changes that are not safe to hot-patch, and --force was not given.</summary>
    public sealed record Unsafe(Manifest Manifest, string Reason) : CreateOutcome;

    /// <summary>The build of one state failed; <paramref name="Log"/> keeps its whole output.</summary>
    public sealed record BuildFailed(string What, int ExitCode, string Log) : CreateOutcome
    {
        /// <summary>"build of the post state failed (exit 2)".</summary>
        public string Reason => $"build of {What} failed (exit {ExitCode})";
        public string Message => $"{Reason}; see the log: {Log}";
    }
}
