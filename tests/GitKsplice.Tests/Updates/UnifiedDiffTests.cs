using GitKsplice.Tests.Support;
using GitKsplice.Updates;

namespace GitKsplice.Tests.Updates;

/// <summary>The --diffext patch text must be what diff -u writes, so patch(1) applies it.</summary>
public class UnifiedDiffTests
{
    [RequiresTheory(Tool.Patch)]
    [InlineData("a\nb\nc\n", "a\nB\nc\n")]
    [InlineData("1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n", "0\n1\n2\n3\n4\n5\nsix\n7\n8\n9\n10\n11\n12\n13\n15\n16\n")]
    [InlineData("no newline", "no newline either")]
    [InlineData("x\ny\n", "x\ny\nz")]
    [InlineData("", "new file\n")]
    [InlineData("gone\n", "")]
    public void Matches_diff_u_and_applies_with_patch(string oldText, string newText)
    {
        using var dir = new TempDir();
        dir.Write("a/f.txt", oldText);
        dir.Write("b/f.txt", newText);
        var ours = UnifiedDiff.Create(oldText, newText, "a/f.txt", "b/f.txt");

        var theirs = ProcessRunner.Run(dir.Path, "diff", ["-u", "a/f.txt", "b/f.txt"]).StdOut;
        Assert.Equal(StripTimestamps(theirs), ours);

        dir.Write("work/f.txt", oldText);
        dir.Write("change.patch", ours);
        var applied = ProcessRunner.Run(dir["work"], "patch", ["-p1", "--batch", "-i", dir["change.patch"]]);
        Assert.True(applied.ExitCode == 0, applied.All);
        Assert.Equal(newText, File.ReadAllText(dir["work/f.txt"]));
    }

    [Fact]
    public void Equal_texts_give_no_diff() => Assert.Equal("", UnifiedDiff.Create("same\n", "same\n", "a/x", "b/x"));

    private static string StripTimestamps(string diff) =>
        string.Join("\n", diff.Split('\n').Select(l => l.StartsWith("--- ") || l.StartsWith("+++ ") ? l.Split('\t')[0] : l));
}
