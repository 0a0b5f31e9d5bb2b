using GitKsplice.Cli;

namespace GitKsplice.Kstuff.Config;

/// <summary>A malformed configuration, database or rename file: names the file, the line and what is wrong.</summary>
public sealed class ConfigFormatException(string file, int line, string problem)
    : UserError(line > 0 ? $"{file}:{line}: {problem}" : $"{file}: {problem}")
{
    public string File { get; } = file;
    public int Line { get; } = line;
    public string Problem { get; } = problem;
}
