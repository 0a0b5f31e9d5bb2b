using System.Text;
using GitKsplice.IO;
using GitKsplice.Kstuff.Bundles;
using GitKsplice.Kstuff.Config;
using GitKsplice.Kstuff.Options;
using GitKsplice.Reporting;
using GitKsplice.Tests.Support;

namespace GitKsplice.Tests.Kstuff.Bundles;

/// <summary>kbundle on a real $ROOT/$MACH tree: what goes in, when it is rebuilt, where it goes.</summary>
public class BundleBuildTests : IDisposable
{
    private static readonly DateTimeOffset CommitTime = new(2026, 3, 4, 5, 6, 7, TimeSpan.Zero);
    private readonly TempDir _dir = new();
    private readonly ConfTreeWriter _conf;
    private string Root => _dir["ROOT"];
    private string BuildTree => _dir["ROOT/i386at"];
    private string DefaultBundle => _dir["ROOT/i386at/etc/conf/kstuff.d/bundle.Z"];

    public BundleBuildTests()
    {
        _conf = new ConfTreeWriter(_dir["ROOT/i386at/etc/conf"])
            .Driver("asyc", "chk", cmaj: "3", node: "asyc tty00 c 0\n")
            .Driver("ktest")
            .File("cf.d/res_major", "c 3 asyc\n").File("cf.d/stune", "NPROC 400\n")
            .File("init.d/asyc", "init").File("sd.d/asyc", "sd").File("interface.d/ddi", "ddi 8\n")
            .File("pack.d/asyc/space.c", "int asyc_cnt;\n")
            // what idbuild regenerates, and what is not an idtool
            .File("cf.d/unix", "kernel").File("cf.d/config.h", "x").File("cf.d/conf.c", "x").File("cf.d/direct", "x")
            .File("cf.d/ifile", "x").File("cf.d/modlist", "x").File("cf.d/sdevice.new", "x").File("cf.d/conf.o", "x")
            .File("pack.d/asyc/mod_conf.c", "x").File("pack.d/asyc/mod_conf.o", "x").File("pack.d/asyc/mod_sec.s", "x")
            .File("pack.d/asyc/mod_reg", "x").File("pack.d/asyc/stubs.o", "x").File("pack.d/asyc/space.o", "x")
            .File("mod.d/asyc", "x").File("kstuff.d/old-bundle", "x")
            .File("bin/idbuild", "#!/bin/sh\n").File("bin/idinstall", "#!/bin/sh\n").File("bin/README", "not a tool");
        File.SetUnixFileMode(_dir["ROOT/i386at/etc/conf/bin/idbuild"], (UnixFileMode)0x1ED);
        _dir.Write("ROOT/i386at/usr/include/sys/types.h", "typedef int pid_t;\n");
        _dir.Write("ROOT/i386at/usr/include/stdio.h", "int printf();\n");
        File.CreateSymbolicLink(_dir["ROOT/i386at/usr/include/sys/alias.h"], "types.h");
        _dir.Write("TOOLS/etc/conf/bin/idbuild", "#!/bin/sh\n# cross\n");
        _dir.Write("TOOLS/etc/conf/bin/idmknod", "#!/bin/sh\n");
        _dir.Write("TOOLS/etc/conf/bin/cc", "not an idtool");
    }

    public void Dispose() => _dir.Dispose();

    private BundleRequest Request(bool force = false, bool idtools = false, bool check = false, IReadOnlyList<DatabaseFile>? databases = null, string? cross = null) =>
        new(Root, "i386at", databases ?? [], force, idtools, check, cross, CommitTime);

    private static List<string> Names(string bundle) => BundleArchive.Read(bundle).Select(m => m.Name).ToList();

    [Fact]
    public void A_bundle_holds_the_configuration_and_headers_but_not_what_idbuild_regenerates()
    {
        var result = BundleBuilder.Build(Request(), DateTimeOffset.UtcNow);
        Assert.Equal(BundleOutcome.Built, result.Outcome);
        Assert.Equal(Path.GetFullPath(DefaultBundle), result.BundlePath);
        Assert.Equal([
            "cf.d", "cf.d/res_major", "cf.d/stune", "include.d", "include.d/stdio.h", "include.d/sys", "include.d/sys/alias.h", "include.d/sys/types.h",
            "init.d", "init.d/asyc", "interface.d", "interface.d/ddi", "mdevice.d", "mdevice.d/asyc", "mdevice.d/ktest",
            "node.d", "node.d/asyc", "pack.d", "pack.d/asyc", "pack.d/asyc/Driver.o", "pack.d/asyc/space.c", "pack.d/ktest", "pack.d/ktest/Driver.o",
            "sd.d", "sd.d/asyc", "sdevice.d", "sdevice.d/asyc", "sdevice.d/ktest"], Names(result.BundlePath));
        var note = result.Note!;
        Assert.Equal(["asyc", "ktest"], note.Drivers);
        Assert.False(note.Idtools);
        Assert.Equal(new FileInfo(result.BundlePath).Length, note.Size);
        Assert.Equal(BundleBuilder.Sha256Of(result.BundlePath), note.Sha256);
        Assert.Equal(16, note.Files);

        // The extracted bundle is a configuration tree the merge can read, files byte for byte.
        BundleArchive.Extract(result.BundlePath, _dir["extracted"]);
        var tree = ConfigTree.Load(_dir["extracted"]);
        Assert.Equal(["asyc", "ktest"], tree.Drivers.Keys);
        Assert.Equal(_conf.Read("mdevice.d/asyc"), File.ReadAllText(_dir["extracted/mdevice.d/asyc"]));
        Assert.Equal("types.h", new FileInfo(_dir["extracted/include.d/sys/alias.h"]).LinkTarget);
    }

    [Fact]
    public void With_T_the_idtools_of_the_tree_come_along()
    {
        var result = BundleBuilder.Build(Request(idtools: true, cross: _dir["TOOLS/etc/conf/bin"]), DateTimeOffset.UtcNow);
        var members = BundleArchive.Read(result.BundlePath).ToDictionary(m => m.Name);
        Assert.Equal(["bin", "bin/idbuild", "bin/idinstall"], members.Keys.Where(n => n.StartsWith("bin")).Order());
        Assert.Equal("#!/bin/sh\n", Encoding.UTF8.GetString(members["bin/idbuild"].Data));
        Assert.Equal(0b111_101_101, members["bin/idbuild"].Permissions);
        Assert.Equal(0b110_100_100, members["bin/idinstall"].Permissions);
        Assert.True(result.Note!.Idtools);
    }

    [Fact]
    public void With_T_and_no_idtools_in_the_tree_they_come_from_the_cross_environment()
    {
        Directory.Delete(_dir["ROOT/i386at/etc/conf/bin"], recursive: true);
        var result = BundleBuilder.Build(Request(idtools: true, cross: _dir["TOOLS/etc/conf/bin"]), DateTimeOffset.UtcNow);
        var members = BundleArchive.Read(result.BundlePath).ToDictionary(m => m.Name);
        Assert.Equal(["bin", "bin/idbuild", "bin/idmknod"], members.Keys.Where(n => n.StartsWith("bin")).Order());
        Assert.Equal("#!/bin/sh\n# cross\n", Encoding.UTF8.GetString(members["bin/idbuild"].Data));

        var e = Assert.Throws<UserError>(() => BundleBuilder.Build(Request(force: true, idtools: true), DateTimeOffset.UtcNow));
        Assert.Contains("-T: no idtools", e.Message);
    }

    [Fact]
    public void The_same_tree_at_the_same_commit_gives_the_same_bytes_whatever_the_file_times()
    {
        var first = File.ReadAllBytes(BundleBuilder.Build(Request(), DateTimeOffset.UtcNow).BundlePath);
        foreach (var file in Directory.EnumerateFiles(BuildTree, "*", SearchOption.AllDirectories))
            File.SetLastWriteTimeUtc(file, DateTime.UtcNow.AddMinutes(5));
        var second = File.ReadAllBytes(BundleBuilder.Build(Request(force: true), DateTimeOffset.UtcNow).BundlePath);
        Assert.Equal(first, second);
        _conf.File("pack.d/asyc/Driver.o", "changed object");
        var third = File.ReadAllBytes(BundleBuilder.Build(Request(force: true), DateTimeOffset.UtcNow).BundlePath);
        Assert.NotEqual(first, third);
    }

    [Fact]
    public void A_bundle_is_rebuilt_only_when_missing_older_than_a_Driver_o_or_forced()
    {
        Assert.Equal(BundleOutcome.Built, BundleBuilder.Build(Request(), DateTimeOffset.UtcNow).Outcome);
        var built = File.GetLastWriteTimeUtc(DefaultBundle);
        var again = BundleBuilder.Build(Request(), DateTimeOffset.UtcNow);
        Assert.Equal(BundleOutcome.UpToDate, again.Outcome);
        Assert.Null(again.Note);
        Assert.Equal(built, File.GetLastWriteTimeUtc(DefaultBundle));

        Assert.Equal(BundleOutcome.Built, BundleBuilder.Build(Request(force: true), DateTimeOffset.UtcNow).Outcome);

        File.SetLastWriteTimeUtc(_dir["ROOT/i386at/etc/conf/pack.d/ktest/Driver.o"], File.GetLastWriteTimeUtc(DefaultBundle).AddSeconds(10));
        var check = BundleBuilder.Build(Request(check: true), DateTimeOffset.UtcNow);
        Assert.Equal(BundleOutcome.Stale, check.Outcome);   // -Q never builds
        Assert.Contains("Driver.o is newer", check.Reason);
        var rebuilt = BundleBuilder.Build(Request(), DateTimeOffset.UtcNow);
        Assert.Equal(BundleOutcome.Built, rebuilt.Outcome);
        Assert.Contains("Driver.o is newer", rebuilt.Reason);

        File.Delete(DefaultBundle);
        Assert.Equal(BundleOutcome.Built, BundleBuilder.Build(Request(), DateTimeOffset.UtcNow).Outcome);
    }

    [Fact]
    public void A_database_file_places_the_bundle_and_a_pre_built_one_is_never_rebuilt()
    {
        var db = _dir.Write("db/kernels", $"# kernels\n\n{Root}:other:/nowhere/x.Z:0:not this one\n{Root}/:i386at:bundles/dev.Z:0:dev kernel: with colons\n");
        var result = BundleBuilder.Build(Request(databases: [DatabaseFile.Load(db)]), DateTimeOffset.UtcNow);
        Assert.Equal(_dir["db/bundles/dev.Z"], result.BundlePath);
        Assert.True(File.Exists(_dir["db/bundles/dev.Z"]));
        Assert.Equal($"{db}:4", result.DatabaseEntry!.Where);

        // A database may put the bundle inside the tree: it is never packed into its successor.
        var inside = _dir.Write("db/inside", $"{Root}:i386at:{_dir["ROOT/i386at/etc/conf/cf.d/bundle.Z"]}:0\n");
        BundleBuilder.Build(Request(databases: [DatabaseFile.Load(inside)]), DateTimeOffset.UtcNow);
        var rebuilt = BundleBuilder.Build(Request(force: true, databases: [DatabaseFile.Load(inside)]), DateTimeOffset.UtcNow);
        Assert.DoesNotContain("cf.d/bundle.Z", Names(rebuilt.BundlePath));

        var prebuilt = _dir.Write("db/prebuilt", $"{Root}:i386at:{_dir["release.Z"]}:1:release\n");
        File.WriteAllText(_dir["release.Z"], "release bundle");
        var first = BundleBuilder.Build(Request(databases: [DatabaseFile.Load(prebuilt), DatabaseFile.Load(db)]), DateTimeOffset.UtcNow);
        Assert.Equal(BundleOutcome.PreBuilt, first.Outcome);
        Assert.Equal("release bundle", File.ReadAllText(_dir["release.Z"]));
        var e = Assert.Throws<UserError>(() => BundleBuilder.Build(Request(force: true, databases: [DatabaseFile.Load(prebuilt)]), DateTimeOffset.UtcNow));
        Assert.Contains("pre-built", e.Message);
        Assert.Contains($"{prebuilt}:1", e.Message);
        Assert.Equal("release bundle", File.ReadAllText(_dir["release.Z"]));
    }

    [Fact]
    public void A_malformed_Master_stops_the_bundle_with_its_file_and_line()
    {
        _conf.File("mdevice.d/broken", "$version 2\nbroken broken c 0 0\n");
        var e = Assert.Throws<ConfigFormatException>(() => BundleBuilder.Build(Request(), DateTimeOffset.UtcNow));
        Assert.Equal(2, e.Line);
        Assert.EndsWith("mdevice.d/broken", e.File);
        Assert.False(File.Exists(DefaultBundle));
    }

    [Fact]
    public void Links_that_leave_the_tree_are_replaced_by_what_they_point_to()
    {
        _dir.Write("elsewhere/gcc/stddef.h", "typedef long size_t;\n");
        _dir.Write("elsewhere/version.h", "#define V 7\n");
        File.CreateSymbolicLink(_dir["ROOT/i386at/usr/include/gcc"], _dir["elsewhere/gcc"]);
        File.CreateSymbolicLink(_dir["ROOT/i386at/usr/include/version.h"], "../../../../elsewhere/version.h");
        File.CreateSymbolicLink(_dir["elsewhere/gcc/loop"], _dir["elsewhere"]);   // a cycle back up
        var members = BundleArchive.Read(BundleBuilder.Build(Request(), DateTimeOffset.UtcNow).BundlePath).ToDictionary(m => m.Name);
        Assert.Equal(EntryKind.Directory, members["include.d/gcc"].Kind);
        Assert.Equal("typedef long size_t;\n", Encoding.UTF8.GetString(members["include.d/gcc/stddef.h"].Data));
        Assert.Equal(EntryKind.File, members["include.d/version.h"].Kind);
        Assert.Equal("#define V 7\n", Encoding.UTF8.GetString(members["include.d/version.h"].Data));
        Assert.Equal("typedef long size_t;\n", Encoding.UTF8.GetString(members["include.d/gcc/loop/gcc/stddef.h"].Data));
        Assert.DoesNotContain("include.d/gcc/loop/gcc/loop/gcc/stddef.h", members.Keys);

        // A dangling link would only dangle on the target too (and extraction refuses links that leave): left out, said so.
        File.CreateSymbolicLink(_dir["ROOT/i386at/usr/include/dangling.h"], "/nonexistent/x.h");
        var result = BundleBuilder.Build(Request(force: true), DateTimeOffset.UtcNow);
        Assert.DoesNotContain("include.d/dangling.h", BundleArchive.Read(result.BundlePath).Select(m => m.Name));
        Assert.Contains("dangling.h': a symbolic link to '/nonexistent/x.h', which does not exist", Assert.Single(result.Warnings));
    }

    [Fact]
    public void A_tree_without_headers_or_configuration_is_named()
    {
        Directory.Delete(_dir["ROOT/i386at/usr/include"], recursive: true);
        var e = Assert.Throws<UserError>(() => BundleBuilder.Build(Request(), DateTimeOffset.UtcNow));
        Assert.Contains("no kernel include files", e.Message);
        e = Assert.Throws<UserError>(() => BundleBuilder.Build(new BundleRequest(Root, "nosuch", [], false, false, false, null, CommitTime), DateTimeOffset.UtcNow));
        Assert.Contains("no kernel build tree", e.Message);
    }
}
