using GitKsplice.IO;
using GitKsplice.Reporting;

namespace GitKsplice.Kstuff.Options;

/// <summary>
/// Finds the -c command file as the man page says: a full path as given; otherwise relative to the current
/// directory, and failing that in the directory the executable was run from.
/// </summary>
public static class CommandFile
{
    public static string Resolve(string command, string currentDirectory)
    {
        var found = Find(command, currentDirectory);
        FileKinds.RequireRegularFile(found, "-c: command file");
        return found;
    }

    private static string Find(string command, string currentDirectory)
    {
        if (Path.IsPathFullyQualified(command))
            return File.Exists(command) ? command : throw new UserError($"-c: command file '{command}' does not exist");
        var here = Path.GetFullPath(command, currentDirectory);
        if (File.Exists(here)) return here;
        var toolDirectory = Path.GetDirectoryName(Environment.ProcessPath) ?? AppContext.BaseDirectory;
        var beside = Path.GetFullPath(command, toolDirectory);
        if (File.Exists(beside)) return beside;
        throw new UserError($"-c: command file '{command}' is neither in {currentDirectory} nor in {toolDirectory}");
    }
}
