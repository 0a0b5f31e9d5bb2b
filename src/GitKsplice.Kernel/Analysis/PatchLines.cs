using System.Text.RegularExpressions;

namespace GitKsplice.Analysis;

/// <summary>
/// What a known change (a unified diff, as git diff prints it) did to each source file's line numbers: where
/// each old line went, and which functions its hunks touch. With it, a function the patch did not touch whose
/// code differs only in immediates equal to moved line numbers is a line-only change, whatever it calls.
/// </summary>
public sealed partial class PatchLines
{
    private readonly Dictionary<string, FileLines> _files;

    private PatchLines(Dictionary<string, FileLines> files) => _files = files;

    /// <summary>Reads the files and hunks of a unified diff; anything that is not a hunk is skipped.</summary>
    public static PatchLines Parse(string patch)
    {
        var files = new Dictionary<string, FileLines>(StringComparer.Ordinal);
        FileLines? current = null;
        Hunk? hunk = null;
        int oldLine = 0, newLine = 0;
        foreach (var raw in patch.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            // Inside a hunk until both its counts are used up: only then can "--- a/…" start the next file.
            if (hunk != null && (oldLine < hunk.OldStart + hunk.OldCount || newLine < hunk.NewStart + hunk.NewCount))
            {
                char kind = line.Length == 0 ? ' ' : line[0];
                if (kind == '\\') continue; // "\ No newline at end of file"
                hunk.Text.Add(line.Length > 0 ? line[1..] : "");
                if (kind == '-') oldLine++;
                else if (kind == '+') newLine++;
                else hunk.Context[oldLine++] = newLine++;
                continue;
            }
            hunk = null;
            if (line.StartsWith("+++ ", StringComparison.Ordinal))
            {
                var path = line[4..].Split('\t')[0];
                if (path.StartsWith("b/", StringComparison.Ordinal)) path = path[2..];
                current = path == "/dev/null" ? null : files.TryGetValue(path, out var known) ? known : files[path] = new FileLines();
                continue;
            }
            if (current == null || HunkHeader().Match(line) is not { Success: true } m) continue;
            oldLine = int.Parse(m.Groups[1].Value);
            newLine = int.Parse(m.Groups[3].Value);
            int oldCount = m.Groups[2].Success ? int.Parse(m.Groups[2].Value) : 1;
            int newCount = m.Groups[4].Success ? int.Parse(m.Groups[4].Value) : 1;
            // "-0,0" and "+0,0" name the line before an insertion or deletion at the top.
            if (oldCount == 0) oldLine++;
            if (newCount == 0) newLine++;
            hunk = new Hunk(oldLine, oldCount, newLine, newCount, m.Groups[5].Value);
            current.Hunks.Add(hunk);
        }
        return new PatchLines(files);
    }

    /// <summary>
    /// The lines of the source file an object was compiled from, by the name its symbol table or debug info
    /// gives ("fs/proc/meminfo.c", "unit.c"); null when the patch does not change exactly one such file.
    /// </summary>
    public FileLines? For(string sourceName)
    {
        if (_files.TryGetValue(sourceName, out var exact)) return exact;
        var trimmed = sourceName.TrimStart('.', '/');
        var matches = _files.Where(f => f.Key == trimmed || f.Key.EndsWith("/" + trimmed, StringComparison.Ordinal)
                                        || trimmed.EndsWith("/" + f.Key, StringComparison.Ordinal)).Take(2).ToList();
        return matches.Count == 1 ? matches[0].Value : null;
    }

    [GeneratedRegex(@"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@(.*)$")]
    private static partial Regex HunkHeader();

    internal sealed record Hunk(int OldStart, int OldCount, int NewStart, int NewCount, string Heading)
    {
        /// <summary>Old line → new line of each context line.</summary>
        public Dictionary<int, int> Context { get; } = [];
        /// <summary>Every line the hunk shows (context, removed and added), for finding the functions it touches.</summary>
        public List<string> Text { get; } = [];
    }

    /// <summary>One file's hunks.</summary>
    public sealed class FileLines
    {
        internal List<Hunk> Hunks { get; } = [];

        /// <summary>
        /// Where old line <paramref name="oldLine"/> is after the patch; null for a line the patch removed or
        /// replaced.
        /// </summary>
        public int? NewLine(int oldLine)
        {
            int shift = 0;
            foreach (var h in Hunks)
            {
                if (oldLine < h.OldStart) break;
                if (oldLine < h.OldStart + h.OldCount) return h.Context.TryGetValue(oldLine, out var moved) ? moved : null;
                shift = h.NewStart + h.NewCount - (h.OldStart + h.OldCount);
            }
            return oldLine + shift;
        }

        /// <summary>
        /// Whether a hunk may lie in <paramref name="function"/>: its heading (git's function context) or any of
        /// its lines names it followed by "(". Errs towards "touched": a function only mentioned is left changed.
        /// </summary>
        public bool Touches(string function)
        {
            var name = new Regex(@"(^|[^A-Za-z0-9_])" + Regex.Escape(function) + @"\s*\(", RegexOptions.CultureInvariant);
            return Hunks.Any(h => name.IsMatch(h.Heading) || h.Text.Any(name.IsMatch));
        }
    }
}

/// <summary>What the caller knows about one comparison beyond the two objects: the change that made them, if any.</summary>
public sealed record ComparisonContext(PatchLines? Patch = null)
{
    /// <summary>Stops a comparison (SIGTERM, ^C): a large object takes seconds, a command must stop within one.</summary>
    public CancellationToken Cancel { get; init; }
}
