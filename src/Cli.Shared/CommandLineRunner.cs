using System.CommandLine;

namespace GitKsplice.Cli;

/// <summary>Parses and runs a command tree with git's conventions: usage errors exit 129 with "error:" lines.</summary>
internal static class CommandLineRunner
{
    public static int Invoke(RootCommand root, string[] args)
    {
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors)
                Console.Error.WriteLine("error: " + error.Message);
            Console.Error.WriteLine($"usage: see '{root.Name} -h'");
            return ExitCodes.Usage;
        }
        return parsed.Invoke();
    }
}
