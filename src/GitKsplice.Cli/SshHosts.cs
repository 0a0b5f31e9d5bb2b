namespace GitKsplice.Cli;

/// <summary>The host names of an OpenSSH client configuration, for completion: Host patterns without wildcards.</summary>
internal static class SshHosts
{
    public static IEnumerable<string> FromConfig(string path) => Read(path, new HashSet<string>()).Distinct();

    private static IEnumerable<string> Read(string path, HashSet<string> seen)
    {
        if (!File.Exists(path) || !seen.Add(Path.GetFullPath(path))) yield break;
        string[] lines;
        try { lines = File.ReadAllLines(path); }
        catch (IOException) { yield break; }
        catch (UnauthorizedAccessException) { yield break; }
        foreach (var raw in lines)
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#') continue;
            var words = line.Split([' ', '\t', '='], StringSplitOptions.RemoveEmptyEntries);
            if (words.Length < 2) continue;
            if (words[0].Equals("Host", StringComparison.OrdinalIgnoreCase))
            {
                foreach (var host in words[1..])
                    if (host.IndexOfAny(['*', '?', '!']) < 0) yield return host;
            }
            else if (words[0].Equals("Include", StringComparison.OrdinalIgnoreCase))
            {
                // Relative includes are relative to ~/.ssh, as ssh_config(5) says for the user's file.
                foreach (var pattern in words[1..])
                    foreach (var file in Expand(pattern, Path.GetDirectoryName(path)!))
                        foreach (var host in Read(file, seen)) yield return host;
            }
        }
    }

    private static IEnumerable<string> Expand(string pattern, string sshDir)
    {
        if (pattern.StartsWith("~/")) pattern = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), pattern[2..]);
        var full = Path.IsPathRooted(pattern) ? pattern : Path.Combine(sshDir, pattern);
        var dir = Path.GetDirectoryName(full)!;
        var name = Path.GetFileName(full);
        if (!Directory.Exists(dir)) return [];
        return name.IndexOfAny(['*', '?']) >= 0 ? Directory.GetFiles(dir, name).Order(StringComparer.Ordinal) : [full];
    }
}
