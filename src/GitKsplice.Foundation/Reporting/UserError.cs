namespace GitKsplice.Reporting;

/// <summary>
/// An error the user can act on: printed as one "fatal: …" line and turned into an exit code,
/// never a stack trace.
/// </summary>
public class UserError(string message, int exitCode = ExitCodes.Error, Exception? inner = null)
    : Exception(message, inner)
{
    public int ExitCode { get; } = exitCode;

    /// <summary>
    /// The error of a program that failed (git, make): the first line it printed on stderr, without its "fatal: ",
    /// or <paramref name="fallback"/> when it printed nothing; prefixed with <paramref name="what"/> when given.
    /// </summary>
    public static UserError FromStderr(string stderr, string fallback, string? what = null)
    {
        var message = FirstLine(stderr) ?? fallback;
        if (message.StartsWith("fatal: ", StringComparison.Ordinal)) message = message["fatal: ".Length..];
        return new UserError(what == null ? message : $"{what}: {message}");
    }

    /// <summary>The first line of a program's output that is not blank, trimmed.</summary>
    public static string? FirstLine(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault();
}
