using GitKsplice.Kstuff.Config;

namespace GitKsplice.Kstuff.Options;

/// <summary>
/// A driver rename map (-r rename.file): lines <c>old new</c>, where old is the driver's name in the source tree
/// and new its name in the target tree; "#" starts a comment line.
/// </summary>
public static class RenameMap
{
    public static IReadOnlyDictionary<string, string> Load(string path)
    {
        GitKsplice.IO.FileKinds.RequireRegularFile(path, "rename file");
        return Parse(path, File.ReadAllText(path));
    }

    public static IReadOnlyDictionary<string, string> Parse(string path, string text)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        var targets = new Dictionary<string, int>(StringComparer.Ordinal);
        var lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var fields = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length != 2)
                throw new ConfigFormatException(path, i + 1, $"expected two driver names (old new), found {fields.Length} field(s)");
            if (fields.Any(f => f.Contains('/') || f == "." || f == ".."))
                throw new ConfigFormatException(path, i + 1, "a driver name cannot contain '/'");
            if (!map.TryAdd(fields[0], fields[1]))
                throw new ConfigFormatException(path, i + 1, $"driver '{fields[0]}' is renamed twice");
            if (targets.TryGetValue(fields[1], out var earlier))
                throw new ConfigFormatException(path, i + 1, $"'{fields[1]}' is already the new name of another driver (line {earlier})");
            targets[fields[1]] = i + 1;
        }
        return map;
    }
}
