using System.Text;
using GitKsplice.IO;
using GitKsplice.Kstuff.Bundles;
using GitKsplice.Reporting;
using GitKsplice.Tests.Support;

namespace GitKsplice.Tests.Kstuff.Bundles;

public class BundleArchiveTests
{
    private static readonly DateTimeOffset Time = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);

    private static ArchiveEntry FileEntry(string path, string text, int mode = 0b110_100_100) =>
        ArchiveEntry.Bytes(path, Encoding.UTF8.GetBytes(text), mode);

    [RequiresFact(Tool.Cpio)]
    public void A_bundle_reads_back_and_the_system_cpio_extracts_the_same_files()
    {
        using var dir = new TempDir();
        var bundle = dir["bundle.Z"];
        BundleArchive.Write(bundle, [
            ArchiveEntry.Directory("bin"), FileEntry("bin/idbuild", "#!/bin/sh\necho idbuild\n", 0b111_101_101),
            ArchiveEntry.Directory("include.d"), ArchiveEntry.Link("include.d/link.h", "real.h"), FileEntry("include.d/real.h", "int x;\n"),
            ArchiveEntry.Directory("mdevice.d"), FileEntry("mdevice.d/odd", "abc"), FileEntry("mdevice.d/empty", ""),
        ], Time);

        var members = BundleArchive.Read(bundle).ToList();
        Assert.Equal(["bin", "bin/idbuild", "include.d", "include.d/link.h", "include.d/real.h", "mdevice.d", "mdevice.d/odd", "mdevice.d/empty"],
            members.Select(m => m.Name));
        Assert.Equal("abc", Encoding.UTF8.GetString(members[6].Data));
        Assert.Equal(0b111_101_101, members[1].Permissions);
        Assert.Equal(EntryKind.SymbolicLink, members[3].Kind);
        Assert.All(members, m => Assert.Equal(Time.ToUnixTimeSeconds(), m.MTime));

        // The target side has only gzip and cpio.
        Directory.CreateDirectory(dir["sys"]);
        var r = ProcessRunner.Run(dir["sys"], "sh", ["-c", $"gzip -dc '{bundle}' | cpio -idm --quiet"]);
        Assert.True(r.ExitCode == 0, r.All);
        Assert.Equal("#!/bin/sh\necho idbuild\n", File.ReadAllText(dir["sys/bin/idbuild"]));
        Assert.Equal("real.h", new FileInfo(dir["sys/include.d/link.h"]).LinkTarget);
        Assert.Equal("", File.ReadAllText(dir["sys/mdevice.d/empty"]));
        Assert.True((File.GetUnixFileMode(dir["sys/bin/idbuild"]) & UnixFileMode.UserExecute) != 0);

        var ours = BundleArchive.Extract(bundle, dir["ours"]);
        Assert.Equal(members.Select(m => m.Name), ours);
        foreach (var file in new[] { "bin/idbuild", "include.d/real.h", "mdevice.d/odd", "mdevice.d/empty" })
            Assert.Equal(File.ReadAllBytes(dir["sys/" + file]), File.ReadAllBytes(dir["ours/" + file]));
        Assert.Equal("real.h", new FileInfo(dir["ours/include.d/link.h"]).LinkTarget);
    }

    [RequiresFact(Tool.Cpio)]
    public void We_read_archives_the_system_cpio_made_in_both_portable_formats()
    {
        using var dir = new TempDir();
        dir.Write("tree/etc/a.txt", "alpha\n");
        dir.Write("tree/b", "bravo");
        foreach (var format in new[] { "newc", "odc" })
        {
            var r = ProcessRunner.Run(dir["tree"], "sh", ["-c", $"find . | sort | cpio -o -H {format} --quiet | gzip > ../{format}.Z"]);
            Assert.True(r.ExitCode == 0, r.All);
            var members = BundleArchive.Read(dir[$"{format}.Z"]).Where(m => m.Kind == EntryKind.File).ToDictionary(m => m.Name.TrimStart('.', '/'), m => Encoding.UTF8.GetString(m.Data));
            Assert.Equal("alpha\n", members["etc/a.txt"]);
            Assert.Equal("bravo", members["b"]);
            BundleArchive.Extract(dir[$"{format}.Z"], dir[$"out-{format}"]);
            Assert.Equal("alpha\n", File.ReadAllText(dir[$"out-{format}/etc/a.txt"]));
        }
    }

    [Fact]
    public void The_same_entries_give_the_same_bytes()
    {
        using var dir = new TempDir();
        ArchiveEntry[] entries = [ArchiveEntry.Directory("d"), FileEntry("d/f", new string('x', 100_000)), ArchiveEntry.Link("d/l", "f")];
        BundleArchive.Write(dir["one"], entries, Time);
        BundleArchive.Write(dir["two"], entries, Time);
        Assert.Equal(File.ReadAllBytes(dir["one"]), File.ReadAllBytes(dir["two"]));
        BundleArchive.Write(dir["three"], [ArchiveEntry.Directory("d"), FileEntry("d/f", new string('y', 100_000)), ArchiveEntry.Link("d/l", "f")], Time);
        Assert.NotEqual(File.ReadAllBytes(dir["one"]), File.ReadAllBytes(dir["three"]));
    }

    [Fact]
    public void A_failed_write_keeps_the_old_bundle_and_leaves_no_temporary_file()
    {
        using var dir = new TempDir();
        var bundle = dir["kstuff.d/bundle.Z"];
        BundleArchive.Write(bundle, [FileEntry("old", "old")], Time);
        var before = File.ReadAllBytes(bundle);
        var failing = new ArchiveEntry("boom", EntryKind.File, 0b110_100_100, 10, () => throw new IOException("disk on fire"));
        Assert.Throws<IOException>(() => BundleArchive.Write(bundle, [FileEntry("new", "new"), failing], Time));
        Assert.Equal(before, File.ReadAllBytes(bundle));
        Assert.Equal(["bundle.Z"], Directory.GetFiles(dir["kstuff.d"]).Select(Path.GetFileName));
        // A file that shrank while being archived is an error too, not a corrupt bundle.
        var shrunk = new ArchiveEntry("short", EntryKind.File, 0b110_100_100, 10, () => new MemoryStream([1, 2, 3]));
        Assert.Throws<IOException>(() => BundleArchive.Write(bundle, [shrunk], Time));
        Assert.Equal(before, File.ReadAllBytes(bundle));
    }

    [Theory]
    [InlineData("/etc/passwd", "absolute path")]
    [InlineData("../escape", "\"..\"")]
    [InlineData("a/../../escape", "\"..\"")]
    [InlineData("ok/../x", "\"..\"")]
    public void Extraction_refuses_names_that_leave_the_destination(string name, string why)
    {
        using var dir = new TempDir();
        BundleArchive.Write(dir["evil.Z"], [FileEntry("fine", "1"), FileEntry(name, "pwned")], Time);
        var e = Assert.Throws<UserError>(() => BundleArchive.Extract(dir["evil.Z"], dir["out/dest"]));
        Assert.Contains($"member '{name}'", e.Message);
        Assert.Contains(why, e.Message);
        AssertNothingExtracted(dir);
    }

    [Theory]
    [InlineData("lnk", "/etc")]
    [InlineData("lnk", "..")]
    [InlineData("sub/lnk", "../..")]
    [InlineData("sub/lnk", "../../out")]
    [InlineData("sub/lnk", "x/../../../y")]
    public void Extraction_refuses_links_that_point_outside(string name, string target)
    {
        using var dir = new TempDir();
        BundleArchive.Write(dir["evil.Z"], [ArchiveEntry.Directory("sub"), ArchiveEntry.Link(name, target)], Time);
        var e = Assert.Throws<UserError>(() => BundleArchive.Extract(dir["evil.Z"], dir["out/dest"]));
        Assert.Contains("outside the destination", e.Message);
        AssertNothingExtracted(dir);
    }

    [Fact]
    public void Extraction_keeps_links_that_stay_inside_but_never_writes_through_one()
    {
        using var dir = new TempDir();
        BundleArchive.Write(dir["ok.Z"], [ArchiveEntry.Directory("sub"), ArchiveEntry.Link("sub/up", ".."), ArchiveEntry.Link("here", "sub/../sub")], Time);
        BundleArchive.Extract(dir["ok.Z"], dir["ok"]);
        Assert.Equal("..", new FileInfo(dir["ok/sub/up"]).LinkTarget);

        // "x" -> "." is inside, but "x/y" -> ".." would then land one level above the destination.
        BundleArchive.Write(dir["evil.Z"], [ArchiveEntry.Link("x", "."), ArchiveEntry.Link("x/y", ".."), FileEntry("x/y/pwned", "!")], Time);
        var e = Assert.Throws<UserError>(() => BundleArchive.Extract(dir["evil.Z"], dir["out/dest"]));
        Assert.Contains("through the symbolic link 'x'", e.Message);
        AssertNothingExtracted(dir);
    }

    [RequiresFact(Tool.Cpio)]
    public void Extraction_refuses_device_nodes_hard_links_and_garbage()
    {
        using var dir = new TempDir();
        // A character device member, as `cpio -o` of /dev/null would write it.
        var r = ProcessRunner.Run(dir.Path, "sh", ["-c", "(cd / && echo dev/null | cpio -o -H newc --quiet) > dev.cpio"]);
        Assert.True(r.ExitCode == 0, r.All);
        var e = Assert.Throws<UserError>(() => BundleArchive.Extract(dir["dev.cpio"], dir["out/dest"]));
        Assert.Contains("neither a file, a directory nor a symbolic link", e.Message);

        dir.Write("tree/a", "same");
        r = ProcessRunner.Run(dir["tree"], "sh", ["-c", "ln a b && printf 'a\\nb\\n' | cpio -o -H newc --quiet > ../hard.cpio"]);
        Assert.True(r.ExitCode == 0, r.All);
        e = Assert.Throws<UserError>(() => BundleArchive.Extract(dir["hard.cpio"], dir["out/dest"]));
        Assert.Contains("is a hard link", e.Message);

        BundleArchive.Write(dir["whole.Z"], [FileEntry("big", new string('x', 50_000))], Time);
        var bytes = File.ReadAllBytes(dir["whole.Z"]);
        File.WriteAllBytes(dir["cut.Z"], bytes[..(bytes.Length / 2)]);
        e = Assert.Throws<UserError>(() => BundleArchive.Extract(dir["cut.Z"], dir["out/dest"]));
        Assert.Contains("cut.Z", e.Message);

        dir.Write("garbage.Z", "this is not an archive at all");
        e = Assert.Throws<UserError>(() => BundleArchive.Extract(dir["garbage.Z"], dir["out/dest"]));
        Assert.Contains("not a cpio archive", e.Message);
        AssertNothingExtracted(dir);
    }

    private static void AssertNothingExtracted(TempDir dir)
    {
        Assert.False(Directory.Exists(dir["out/dest"]));
        Assert.False(File.Exists(dir["pwned"]) || File.Exists(dir["escape"]) || File.Exists(dir["out/escape"]));
        if (Directory.Exists(dir["out"])) Assert.Empty(Directory.GetFileSystemEntries(dir["out"]));
    }
}
