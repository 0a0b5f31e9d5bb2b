using System.Text;
using GitKsplice.IO;
using GitKsplice.Tests.Support;

namespace GitKsplice.Tests.IO;

/// <summary>The newc cpio writer and the reader: what one writes the other reads back, and so does the system's cpio.</summary>
public class CpioArchiveTests
{
    private static readonly DateTimeOffset EntryTime = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);

    private static byte[] Archive(params ArchiveEntry[] entries)
    {
        using var bytes = new MemoryStream();
        var writer = new CpioWriter(bytes, EntryTime);
        foreach (var entry in entries) writer.Add(entry);
        writer.Finish();
        return bytes.ToArray();
    }

    private static readonly ArchiveEntry[] Tree =
    [
        ArchiveEntry.Directory("etc"),
        ArchiveEntry.Bytes("etc/init", "#!/bin/sh\necho odd length\n"u8.ToArray(), mode: 0b111_101_101),
        ArchiveEntry.Bytes("etc/empty", []),
        ArchiveEntry.Link("bin/sh", "busybox"),
    ];

    [Fact]
    public void A_written_archive_reads_back_member_for_member()
    {
        var members = CpioReader.Read(new MemoryStream(Archive(Tree)), "tree.cpio").ToList();

        Assert.Equal(["etc", "etc/init", "etc/empty", "bin/sh"], members.Select(m => m.Name));
        Assert.Equal([EntryKind.Directory, EntryKind.File, EntryKind.File, EntryKind.SymbolicLink], members.Select(m => m.Kind!.Value));
        Assert.Equal([0b111_101_101, 0b111_101_101, 0b110_100_100, 0b111_111_111], members.Select(m => m.Permissions));
        Assert.Equal("#!/bin/sh\necho odd length\n", Encoding.UTF8.GetString(members[1].Data));
        Assert.Empty(members[2].Data);
        Assert.Equal("busybox", Encoding.UTF8.GetString(members[3].Data));
        Assert.All(members, m => Assert.Equal(EntryTime.ToUnixTimeSeconds(), m.MTime));
    }

    [Fact]
    public void The_same_entries_give_the_same_bytes()
    {
        Assert.Equal(Archive(Tree), Archive(Tree));
    }

    [Fact]
    public void A_truncated_archive_is_named()
    {
        var bytes = Archive(Tree);
        var cut = new MemoryStream(bytes, 0, bytes.Length / 2);
        var e = Assert.Throws<InvalidDataException>(() => CpioReader.Read(cut, "cut.cpio").ToList());
        Assert.Equal("cut.cpio: truncated cpio archive", e.Message);
    }

    [Fact]
    public void A_file_that_changes_while_it_is_archived_is_an_error()
    {
        var grown = new ArchiveEntry("grown", EntryKind.File, 0b110_100_100, 2, () => new MemoryStream("three"u8.ToArray()));
        var e = Assert.Throws<IOException>(() => Archive(grown));
        Assert.Equal("grown: changed while being archived", e.Message);
    }

    [RequiresFact(Tool.Cpio)]
    public void The_system_cpio_lists_and_extracts_what_we_wrote()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir["tree.cpio"], Archive(Tree));

        var listed = ProcessRunner.Run(dir.Path, "cpio", ["-t", "-F", dir["tree.cpio"]]);
        Assert.True(listed.ExitCode == 0, listed.All);
        Assert.Equal(["etc", "etc/init", "etc/empty", "bin/sh"], listed.StdOut.TrimEnd('\n').Split('\n'));

        Directory.CreateDirectory(dir["out"]);
        var extracted = ProcessRunner.Run(dir["out"], "cpio", ["-i", "-d", "-F", dir["tree.cpio"]]);
        Assert.True(extracted.ExitCode == 0, extracted.All);
        Assert.Equal("#!/bin/sh\necho odd length\n", File.ReadAllText(dir["out/etc/init"]));
        Assert.Equal("busybox", new FileInfo(dir["out/bin/sh"]).LinkTarget);
    }
}
