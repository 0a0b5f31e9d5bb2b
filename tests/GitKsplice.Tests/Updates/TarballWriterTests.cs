using System.Text;
using GitKsplice.Tests.Support;
using GitKsplice.Updates;

namespace GitKsplice.Tests.Updates;

/// <summary>The tarball writer: started early, restricted, added to and completed, read back; abandoned, it leaves nothing.</summary>
public class TarballWriterTests
{
    private static ArchiveFile Text(string name, string content, Action? onOpen = null) =>
        new(name, () =>
        {
            onOpen?.Invoke();
            return new MemoryStream(Encoding.UTF8.GetBytes(content));
        });

    [Fact]
    public void A_restricted_tarball_holds_the_kept_files_then_the_added_ones_then_the_manifest()
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "ksplice-t1.tar.gz");
        // Written already or not yet, the files left out are not in the tarball.
        using var writer = TarballWriter.Start(path, "ksplice-t1/",
            [Text("patch", "diff"), Text("post/a.o", "A"), Text("post/b.o", "B"), Text("pre/a.o", "a")], DateTime.UnixEpoch);

        writer.Restrict(name => name != "post/a.o" && name != "pre/a.o");
        writer.Add(Text("livepatch.ko", "module"));
        writer.Complete("{}\n");
        writer.Publish();

        var files = UpdateArchive.ReadAll(path);
        Assert.Equal(["livepatch.ko", "manifest.json", "patch", "post/b.o"], files.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("module", Encoding.UTF8.GetString(files["livepatch.ko"]));
        Assert.Equal([Path.GetFileName(path)], Directory.EnumerateFileSystemEntries(dir.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void The_same_files_give_the_same_bytes_whether_or_not_the_writing_started_over()
    {
        using var dir = new TempDir();
        var first = Path.Combine(dir.Path, "one.tar.gz");
        var second = Path.Combine(dir.Path, "two.tar.gz");
        using (var direct = TarballWriter.Start(first, "ksplice-x/", [Text("patch", "p"), Text("post/b.o", "B")], DateTime.UnixEpoch))
        {
            direct.Complete("{}\n");
            direct.Publish();
        }
        using var afterA = new ManualResetEventSlim();
        using (var restarted = TarballWriter.Start(second, "ksplice-x/",
            [Text("patch", "p"), Text("post/a.o", "A"), Text("post/b.o", "B", afterA.Set)], DateTime.UnixEpoch))
        {
            // post/a.o is in the file once post/b.o is opened: leaving it out starts the writing over.
            Assert.True(afterA.Wait(HangGuard.Bound), "hang: post/b.o never opened");
            restarted.Restrict(name => name != "post/a.o");
            restarted.Complete("{}\n");
            restarted.Publish();
        }

        Assert.Equal(File.ReadAllBytes(first), File.ReadAllBytes(second));
    }

    [Fact]
    public void An_abandoned_tarball_leaves_nothing_and_a_file_that_was_there_stays()
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "ksplice-t2.tar.gz");
        File.WriteAllText(path, "shipped earlier\n");
        var writer = TarballWriter.Start(path, "ksplice-t2/", [Text("patch", "p")], DateTime.UnixEpoch);

        writer.Abandon();

        Assert.Equal("shipped earlier\n", File.ReadAllText(path));
        Assert.Equal([Path.GetFileName(path)], Directory.EnumerateFileSystemEntries(dir.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void A_published_tarball_taken_back_is_removed_only_when_this_writer_created_it()
    {
        using var dir = new TempDir();
        var created = Path.Combine(dir.Path, "new.tar.gz");
        var existing = Path.Combine(dir.Path, "old.tar.gz");
        File.WriteAllText(existing, "old\n");
        foreach (var path in new[] { created, existing })
        {
            using var writer = TarballWriter.Start(path, "ksplice-t3/", [Text("patch", "p")], DateTime.UnixEpoch);
            writer.Complete("{}\n");
            writer.Publish();
            writer.Unpublish();
        }

        Assert.False(File.Exists(created));
        Assert.True(File.Exists(existing));
    }
}
