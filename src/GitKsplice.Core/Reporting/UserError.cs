namespace GitKsplice.Reporting;

/// <summary>
/// An error the user can act on: printed as one "fatal: …" line and turned into an exit code,
/// never a stack trace.
/// </summary>
public class UserError(string message, int exitCode = ExitCodes.Error, Exception? inner = null)
    : Exception(message, inner)
{
    public int ExitCode { get; } = exitCode;
}
