using GitKsplice.Processes;
using GitKsplice.Reporting;
using GitKsplice.Transport;

namespace GitKsplice.Kstuff.Options;

/// <summary>Where option words came from, for error messages: "~/.kstuff.rc:3" or "command line".</summary>
public sealed record OptionOrigin(string Source, int Line = 0)
{
    public override string ToString() => Line > 0 ? $"{Source}:{Line}" : Source;
    public static readonly OptionOrigin CommandLine = new("command line");
}

/// <summary>The option words of one line of an rc file (or of a git config value, or the command line).</summary>
public sealed record OptionLine(IReadOnlyList<string> Words, OptionOrigin Origin);

/// <summary>
/// The kstuff rc files: words of options, one or more to a line, shell quoting allowed, lines starting
/// with '#' ignored. Read in this order, the last option winning: /etc/kstuff.rc, the man page's
/// /int/bin/.kstuff.rc (when present), $HOME/.kstuff.rc, git config kstuff.options, the command line.
/// </summary>
public static class RcFiles
{
    /// <summary>Replaces the system rc files (colon-separated; empty for none), as GIT_CONFIG_SYSTEM does for git.</summary>
    public const string SystemOverrideVariable = "KSTUFF_SYSTEM_RC";

    public static IReadOnlyList<string> SystemFiles(Func<string, string?> environment)
    {
        var overridden = environment(SystemOverrideVariable);
        if (overridden != null) return overridden.Split(':', StringSplitOptions.RemoveEmptyEntries);
        return ["/etc/kstuff.rc", "/int/bin/.kstuff.rc"];
    }

    public static string? UserFile(Func<string, string?> environment)
    {
        var home = environment("HOME");
        return string.IsNullOrEmpty(home) ? null : Path.Combine(home, ".kstuff.rc");
    }

    /// <summary>Every option word of every rc file that exists, in reading order.</summary>
    public static List<OptionLine> ReadAll(Func<string, string?> environment)
    {
        var words = new List<OptionLine>();
        foreach (var file in SystemFiles(environment).Append(UserFile(environment)))
            if (file != null && File.Exists(file))
                words.AddRange(Read(file));
        return words;
    }

    public static IEnumerable<OptionLine> Read(string file)
    {
        string[] lines;
        GitKsplice.IO.FileKinds.RequireRegularFile(file, "rc file");
        try { lines = File.ReadAllLines(file); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UserError($"cannot read {file}: {e.Message}");
        }
        return Words(lines, file);
    }

    /// <summary>Splits option text (an rc file's lines, or a git config value) into words.</summary>
    public static List<OptionLine> Words(IEnumerable<string> lines, string source)
    {
        var words = new List<OptionLine>();
        var number = 0;
        foreach (var line in lines)
        {
            number++;
            var trimmed = line.TrimStart();
            if (trimmed.Length == 0 || trimmed[0] == '#') continue;
            var origin = new OptionOrigin(source, number);
            if (line.Any(c => char.IsControl(c) && c != '\t'))
                throw new UserError($"{origin}: control characters in an options line");
            IReadOnlyList<string> split;
            try { split = PosixShell.SplitWords(line); }
            catch (FormatException e) { throw new UserError($"{origin}: {e.Message}"); }
            // A word starting with '#' starts a comment, as in the shell ("-#" starts with '-').
            words.Add(new OptionLine(split.TakeWhile(w => !w.StartsWith('#')).ToList(), origin));
        }
        return words;
    }
}
