using GitKsplice.Cli;

namespace GitKsplice.Kstuff.Options;

/// <summary>
/// The -r rename file: lines "source-name target-name" ('#' starts a comment line), mapping a driver's name
/// in the source tree to its name on the target.
/// </summary>
public static class RenameMap
{
    public static IReadOnlyDictionary<string, string> Read(string file)
    {
        string[] lines;
        try { lines = File.ReadAllLines(file); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UserError($"cannot read rename file {file}: {e.Message}");
        }
        return Parse(lines, file);
    }

    public static IReadOnlyDictionary<string, string> Parse(IEnumerable<string> lines, string file)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        var targets = new Dictionary<string, string>(StringComparer.Ordinal);
        var number = 0;
        foreach (var line in lines)
        {
            number++;
            var text = line.Trim();
            if (text.Length == 0 || text[0] == '#') continue;
            var origin = new OptionOrigin(file, number);
            var fields = text.Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length != 2)
                throw new UserError($"{origin}: expected 'source-name target-name', found {fields.Length} field{(fields.Length == 1 ? "" : "s")}");
            var from = OptionParser.CheckDriver(fields[0], 'r', origin);
            var to = OptionParser.CheckDriver(fields[1], 'r', origin);
            if (!map.TryAdd(from, to))
                throw new UserError($"{origin}: driver '{from}' is renamed twice");
            if (targets.TryGetValue(to, out var other))
                throw new UserError($"{origin}: '{from}' and '{other}' are both renamed to '{to}'");
            targets[to] = from;
        }
        return map;
    }
}
