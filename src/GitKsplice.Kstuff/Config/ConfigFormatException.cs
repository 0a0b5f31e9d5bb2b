namespace GitKsplice.Kstuff.Config;

/// <summary>
/// A malformed configuration, database or rename file: names the file, the line and what is wrong. A model error,
/// not a command-line one: the command layer prints it as one line like any other <see cref="FormatException"/>.
/// </summary>
public sealed class ConfigFormatException(string file, int line, string problem)
    : FormatException(line > 0 ? $"{file}:{line}: {problem}" : $"{file}: {problem}")
{
    public string File { get; } = file;
    public int Line { get; } = line;
    public string Problem { get; } = problem;
}
