using GitKsplice.Tests.Support;

namespace GitKsplice.Tests.IO;

/// <summary>A write through AtomicFile shows the old content or the new, never a part, and leaves no temporary file.</summary>
public class AtomicFileTests
{
    [Fact]
    public void A_write_replaces_the_file_whole_and_leaves_nothing_beside_it()
    {
        using var dir = new TempDir();
        var path = dir.Write("state/record", "old\n");

        AtomicFile.WriteAllText(path, "new\n");

        Assert.Equal("new\n", File.ReadAllText(path));
        Assert.Equal(["record"], Directory.GetFileSystemEntries(dir["state"]).Select(Path.GetFileName));
    }

    [Fact]
    public void A_write_makes_the_missing_directory()
    {
        using var dir = new TempDir();
        AtomicFile.WriteAllText(dir["a/b/record"], "x", flushToDisk: false);
        Assert.Equal("x", File.ReadAllText(dir["a/b/record"]));
    }

    [Fact]
    public void A_write_that_fails_part_way_keeps_the_old_content_and_leaves_nothing_beside_it()
    {
        using var dir = new TempDir();
        var path = dir.Write("state/record", "old\n");

        Assert.Throws<IOException>(() => AtomicFile.Write(path, stream =>
        {
            stream.Write("half"u8);
            throw new IOException("disk full");
        }));

        Assert.Equal("old\n", File.ReadAllText(path));
        Assert.Equal(["record"], Directory.GetFileSystemEntries(dir["state"]).Select(Path.GetFileName));
    }
}
