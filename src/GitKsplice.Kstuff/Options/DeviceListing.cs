using GitKsplice.Kstuff.Config;
using GitKsplice.Kstuff.Merge;

namespace GitKsplice.Kstuff.Options;

/// <summary>
/// Reads the majors of a target's device nodes from text any Unix can produce: the output of
/// <c>ls -lR /dev</c> (lines like "crw-rw-rw- 1 root sys 4, 0 … tty00"), or lines <c>b|c major-or-range</c>.
/// Other lines (directory headers, "total", files) are skipped; "#" starts a comment.
/// </summary>
public static class DeviceListing
{
    public static DeviceMajors Parse(string path, string text)
    {
        var block = new HashSet<int>();
        var character = new HashSet<int>();
        var lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var fields = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (fields[0] is "b" or "c")
            {
                if (fields.Length != 2 || !MajorRange.TryParse(fields[1], out var range))
                    throw new ConfigFormatException(path, i + 1, "expected 'b|c major' (a number or a range S-E)");
                (fields[0] == "b" ? block : character).UnionWith(range.All());
                continue;
            }
            // ls -l: a mode string starting with b or c, then links, owner, group, "major," and minor.
            if (fields.Length < 6 || fields[0].Length < 10 || (fields[0][0] != 'b' && fields[0][0] != 'c')) continue;
            // "8," then the minor, or "8,0" in one word.
            var majorField = fields.Skip(4).Select(f => f.Split(',')).FirstOrDefault(p =>
                p.Length == 2 && p[0].Length > 0 && p[0].All(char.IsAsciiDigit) && p[1].All(char.IsAsciiDigit));
            if (majorField == null || !int.TryParse(majorField[0], out var major))
                throw new ConfigFormatException(path, i + 1, "a device node without 'major, minor'");
            (fields[0][0] == 'b' ? block : character).Add(major);
        }
        return new DeviceMajors(block, character);
    }
}
