using System.Text;
using DiffPlex;
using DiffPlex.Chunkers;
using DiffPlex.Model;

namespace GitKsplice.Updates;

/// <summary>
/// A unified diff of two texts, as `diff -u` writes it (hunk headers, three lines of context,
/// "\ No newline at end of file"), so that patch(1) -p1 applies it. DiffPlex finds the edit script.
/// </summary>
public static class UnifiedDiff
{
    private const int Context = 3;

    /// <summary>Lines without their terminators: a final newline does not make an extra empty line.</summary>
    private sealed class LineSplitter : IChunker
    {
        public IReadOnlyList<string> Chunk(string text)
        {
            var lines = text.Split('\n');
            return text.EndsWith('\n') ? lines[..^1] : lines.Length == 1 && lines[0].Length == 0 ? [] : lines;
        }
    }

    /// <summary>The diff from <paramref name="oldText"/> to <paramref name="newText"/>, empty when they are equal.</summary>
    public static string Create(string oldText, string newText, string oldName, string newName)
    {
        if (oldText == newText) return "";
        var result = Differ.Instance.CreateDiffs(oldText, newText, ignoreWhiteSpace: false, ignoreCase: false, new LineSplitter());
        var oldLines = result.PiecesOld;
        var newLines = result.PiecesNew;
        var oldEndsWithNewline = oldText.EndsWith('\n') || oldText.Length == 0;
        var newEndsWithNewline = newText.EndsWith('\n') || newText.Length == 0;

        var text = new StringBuilder();
        text.Append("--- ").Append(oldName).Append('\n').Append("+++ ").Append(newName).Append('\n');
        foreach (var hunk in Hunks(result.DiffBlocks, oldLines.Count, newLines.Count))
        {
            var (oldStart, oldEnd, newStart, newEnd) = hunk.Range;
            text.Append($"@@ -{Span(oldStart, oldEnd - oldStart)} +{Span(newStart, newEnd - newStart)} @@\n");
            int a = oldStart, b = newStart;
            foreach (var block in hunk.Blocks)
            {
                for (; a < block.DeleteStartA; a++, b++) Line(' ', oldLines, a, oldEndsWithNewline);
                for (var i = 0; i < block.DeleteCountA; i++, a++) Line('-', oldLines, a, oldEndsWithNewline);
                for (var i = 0; i < block.InsertCountB; i++, b++) Line('+', newLines, b, newEndsWithNewline);
            }
            for (; a < oldEnd; a++, b++) Line(' ', oldLines, a, oldEndsWithNewline);
        }
        return text.ToString();

        void Line(char mark, IReadOnlyList<string> lines, int index, bool endsWithNewline)
        {
            text.Append(mark).Append(lines[index]).Append('\n');
            if (index == lines.Count - 1 && !endsWithNewline) text.Append("\\ No newline at end of file\n");
        }
    }

    private sealed record Hunk(List<DiffBlock> Blocks, (int OldStart, int OldEnd, int NewStart, int NewEnd) Range);

    /// <summary>Groups edit blocks whose context would touch or overlap into hunks.</summary>
    private static IEnumerable<Hunk> Hunks(IList<DiffBlock> blocks, int oldCount, int newCount)
    {
        var i = 0;
        while (i < blocks.Count)
        {
            var group = new List<DiffBlock> { blocks[i] };
            while (i + 1 < blocks.Count &&
                   blocks[i + 1].DeleteStartA - (blocks[i].DeleteStartA + blocks[i].DeleteCountA) <= 2 * Context)
                group.Add(blocks[++i]);
            i++;
            var first = group[0];
            var last = group[^1];
            var lead = Math.Min(Context, first.DeleteStartA);
            var trail = Math.Min(Context, oldCount - (last.DeleteStartA + last.DeleteCountA));
            var oldStart = first.DeleteStartA - lead;
            var newStart = first.InsertStartB - lead;
            var oldEnd = last.DeleteStartA + last.DeleteCountA + trail;
            var newEnd = last.InsertStartB + last.InsertCountB + Math.Min(trail, newCount - (last.InsertStartB + last.InsertCountB));
            yield return new Hunk(group, (oldStart, oldEnd, newStart, newEnd));
        }
    }

    /// <summary>"start,count" with diff's conventions: 1-based, and an empty range names the line before it.</summary>
    private static string Span(int start, int count) =>
        count == 0 ? $"{start},0" : count == 1 ? $"{start + 1}" : $"{start + 1},{count}";
}
