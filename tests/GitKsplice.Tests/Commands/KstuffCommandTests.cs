using System.Text.Json;
using GitKsplice.IO;
using GitKsplice.Reporting;
using GitKsplice.Tests.Support;

namespace GitKsplice.Tests.Commands;

/// <summary>git kstuff bundle, bundles and merge run through git, as a user would.</summary>
[Trait(TestCategory.Name, TestCategory.EndToEnd)]
public class KstuffCommandTests : IDisposable
{
    private readonly TestRepo _repo = new();
    private readonly TempDir _dir = new();
    private string Root => _dir["ROOT"];

    public KstuffCommandTests()
    {
        new ConfTreeWriter(_dir["ROOT/i386at/etc/conf"]).Driver("asyc", "ch", cmaj: "3").Driver("ktest");
        _dir.Write("ROOT/i386at/usr/include/sys/types.h", "typedef int pid_t;\n");
        _repo.Write("README", "kernel\n");
        _repo.Commit("kernel source");
    }

    public void Dispose()
    {
        _repo.Dispose();
        _dir.Dispose();
    }

    private RunResult Kstuff(params string[] args) => ProcessRunner.Run(_repo.Root, "git", ["kstuff", .. args],
        new Dictionary<string, string?> { ["ROOT"] = null, ["MACH"] = null, ["TOOLS"] = null, ["HOME"] = _dir.Path, ["KSTUFF_SYSTEM_RC"] = "" });

    [Fact]
    public void Bundle_builds_notes_the_commit_and_bundles_lists_it()
    {
        _repo.Git("config", "kstuff.root", Root);
        _repo.Git("config", "kstuff.mach", "i386at");
        var built = Kstuff("bundle", "--json");
        Assert.True(built.ExitCode == 0, built.All);
        var json = JsonDocument.Parse(built.StdOut).RootElement;
        Assert.Equal("built", json.GetProperty("outcome").GetString());
        var head = _repo.Git("rev-parse", "HEAD");
        Assert.Equal(head, json.GetProperty("commit").GetString());
        var path = json.GetProperty("path").GetString()!;
        Assert.Equal(Path.Combine(Root, "i386at/etc/conf/kstuff.d/bundle.Z"), path);

        var note = _repo.Git("notes", "--ref=kstuff", "show", head);
        Assert.Contains($"kstuff-bundle: {path}", note);
        Assert.Contains("drivers: asyc ktest", note);
        Assert.Contains("idtools: no", note);
        Assert.Contains($"sha256: {GitKsplice.Kstuff.Bundles.BundleBuilder.Sha256Of(path)}", note);

        var again = Kstuff("bundle");
        Assert.Equal(0, again.ExitCode);
        Assert.Contains("up to date", again.StdErr);

        var list = Kstuff("bundles", "--json");
        Assert.Equal(0, list.ExitCode);
        var entry = Assert.Single(JsonDocument.Parse(list.StdOut).RootElement.EnumerateArray());
        Assert.Equal(head, entry.GetProperty("commit").GetString());
        Assert.Equal("present", entry.GetProperty("state").GetString());
        Assert.Equal(new FileInfo(path).Length, entry.GetProperty("bundle").GetProperty("size").GetInt64());
        Assert.Equal(["asyc", "ktest"], entry.GetProperty("bundle").GetProperty("drivers").EnumerateArray().Select(d => d.GetString()));

        var human = Kstuff("bundles");
        Assert.Contains(head[..12], human.StdOut);
        Assert.Contains("present", human.StdOut);
        File.Delete(path);
        Assert.Contains("missing", Kstuff("bundles").StdOut);
    }

    [Fact]
    public void The_environment_and_the_command_line_override_git_config_and_B_defeats_F()
    {
        _repo.Git("config", "kstuff.root", "/nonexistent");
        _repo.Git("config", "kstuff.mach", "i386at");
        var env = ProcessRunner.Run(_repo.Root, "git", ["kstuff", "bundle"], new Dictionary<string, string?> { ["ROOT"] = Root, ["MACH"] = "i386at", ["HOME"] = _dir.Path, ["KSTUFF_SYSTEM_RC"] = "" });
        Assert.True(env.ExitCode == 0, env.All);

        var forcedThenNormal = Kstuff("bundle", "--root", Root, "-F", "-B");
        Assert.Equal(0, forcedThenNormal.ExitCode);
        Assert.Contains("up to date", forcedThenNormal.StdErr);
        var forced = Kstuff("bundle", "--root", Root, "-BF");
        Assert.Equal(0, forced.ExitCode);
        Assert.DoesNotContain("up to date", forced.StdErr);
    }

    [Fact]
    public void Bundle_reads_the_kstuff_rc_files_and_the_command_line_wins()
    {
        _dir.Write("home/.kstuff.rc", "# shared with kstuff\n-bqK -T -n ktest\n");
        _dir.Write("system.rc", "-F\n");
        _dir.Write("ROOT/i386at/etc/conf/bin/idbuild", "#!/bin/sh\n");
        var env = new Dictionary<string, string?> { ["HOME"] = _dir["home"], ["KSTUFF_SYSTEM_RC"] = _dir["system.rc"], ["ROOT"] = Root, ["MACH"] = "i386at" };
        var withTools = ProcessRunner.Run(_repo.Root, "git", ["kstuff", "bundle", "--json"], env);
        Assert.True(withTools.ExitCode == 0, withTools.All);
        Assert.True(JsonDocument.Parse(withTools.StdOut).RootElement.GetProperty("bundle").GetProperty("idtools").GetBoolean());

        var defeated = ProcessRunner.Run(_repo.Root, "git", ["kstuff", "bundle", "--json", "-B"], env);   // -B defeats the rc's -F and -T
        Assert.Equal("up-to-date", JsonDocument.Parse(defeated.StdOut).RootElement.GetProperty("outcome").GetString());

        _dir.Write("home/.kstuff.rc", "-bq\n-d\n");
        var broken = ProcessRunner.Run(_repo.Root, "git", ["kstuff", "bundle"], env);
        Assert.Equal(129, broken.ExitCode);
        Assert.Equal($"fatal: {_dir["home/.kstuff.rc"]}:2: kbundle: option -d needs an argument\n", broken.StdErr);
    }

    [Fact]
    public void Bundle_errors_are_one_fatal_line_and_leave_no_note()
    {
        var none = Kstuff("bundle");
        Assert.Equal(1, none.ExitCode);
        Assert.StartsWith("fatal: no build tree", none.StdErr);

        _dir.Write("db", $"{Root}:i386at:{_dir["b.Z"]}:yes:broken flag\n");
        var db = Kstuff("bundle", "--root", Root, "--mach", "i386at", "-d", _dir["db"]);
        Assert.Equal(1, db.ExitCode);
        Assert.Equal($"fatal: {_dir["db"]}:1: pre_built_flag is 'yes', not 0 or 1\n", db.StdErr);

        _dir.Write("ROOT/i386at/etc/conf/sdevice.d/asyc", "$version 2\nasyc Y 1\n");
        var bad = Kstuff("bundle", "--root", Root, "--mach", "i386at");
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains("sdevice.d/asyc:2: a System entry has 11 or 12 fields", bad.StdErr);
        Assert.Single(bad.StdErr.Trim().Split('\n'));
        Assert.False(File.Exists(Path.Combine(Root, "i386at/etc/conf/kstuff.d/bundle.Z")));
        Assert.NotEqual(0, _repo.TryGit("rev-parse", "--verify", "-q", "refs/notes/kstuff").ExitCode);

        foreach (var args in new[] { new[] { "bundle", "-X" }, ["bundle", "extra"], ["bundles", "--nope"], ["merge", "a", "b", "c"] })
        {
            var usage = Kstuff(args);
            Assert.Equal(129, usage.ExitCode);
            Assert.Contains(args[^1], usage.StdErr);
        }
    }

    [Fact]
    public void Merge_writes_the_merged_tree_and_reports_each_rule()
    {
        var source = new ConfTreeWriter(_dir["src"]).Driver("both", "c", cmaj: "5").Driver("ktest", "c", cmaj: "9").Driver("extra").Driver("wanted", configured: false);
        var target = new ConfTreeWriter(_dir["tgt"]).Driver("both", "c", cmaj: "9").Driver("hw", "h").Driver("soft").File("init.d/x", "t");
        _dir.Write("dev", "crw-rw-rw- 1 root sys 1, 0 Jan 1 1999 null\n");
        var r = Kstuff("merge", source.Root, target.Root, "-o", _dir["out"], "-Y", "wanted", "-n", "extra", "-R", "-Y", "wanted", "--dev-majors", _dir["dev"], "--json");
        Assert.True(r.ExitCode == 0, r.All);
        var drivers = JsonDocument.Parse(r.StdOut).RootElement.GetProperty("drivers").EnumerateArray()
            .ToDictionary(d => d.GetProperty("name").GetString()!, d => d.GetProperty("fate").GetString());
        Assert.Equal(new Dictionary<string, string?>
        {
            ["both"] = "merged", ["extra"] = "source-only-left-out", ["hw"] = "target-only-kept", ["ktest"] = "source-only-included",
            ["soft"] = "target-only-dropped", ["wanted"] = "source-only-included",
        }, drivers);
        // ktest's 9 is the target's "both": remapped past /dev's 1 to 2.
        Assert.EndsWith("\t2\n", File.ReadAllText(_dir["out/mdevice.d/ktest"]));
        Assert.EndsWith("\t9\n", File.ReadAllText(_dir["out/mdevice.d/both"]));
        Assert.Contains("wanted\tY\t", File.ReadAllText(_dir["out/sdevice.d/wanted"]));
        Assert.Equal("t", File.ReadAllText(_dir["out/init.d/x"]));
        Assert.False(File.Exists(_dir["out/mdevice.d/soft"]));

        var dry = Kstuff("merge", source.Root, target.Root);
        Assert.Equal(0, dry.ExitCode);
        Assert.Contains("target-only-dropped  soft: only in the target, not a hardware driver: left out", dry.StdOut);
    }

    [Fact]
    public void Merge_takes_roots_holding_etc_conf_and_answers_in_the_same_layout()
    {
        new ConfTreeWriter(_dir["srcroot/etc/conf"]).Driver("ktest").Driver("both", "c", cmaj: "5", driverO: "new");
        new ConfTreeWriter(_dir["tgtroot/etc/conf"]).Driver("both", "c", cmaj: "6");
        var r = Kstuff("merge", _dir["srcroot"], _dir["tgtroot"], "-o", _dir["out"]);
        Assert.True(r.ExitCode == 0, r.All);
        Assert.Equal("new", File.ReadAllText(_dir["out/etc/conf/pack.d/both/Driver.o"]));
        Assert.EndsWith("\t6\n", File.ReadAllText(_dir["out/etc/conf/mdevice.d/both"]));
        Assert.True(File.Exists(_dir["out/etc/conf/mdevice.d/ktest"]));
    }

    [Fact]
    public void A_bundle_merges_straight_into_a_target()
    {
        Assert.Equal(0, Kstuff("bundle", "--root", Root, "--mach", "i386at").ExitCode);
        var bundle = Path.Combine(Root, "i386at/etc/conf/kstuff.d/bundle.Z");
        var target = new ConfTreeWriter(_dir["tgt"]).Driver("asyc", "ch", cmaj: "7", driverO: "old").Driver("hw", "h")
            .File("include.d/sys/types.h", "old header").File("init.d/asyc", "target init");
        Directory.CreateDirectory(_dir["tmp"]);
        var r = ProcessRunner.Run(_repo.Root, "git", ["kstuff", "merge", bundle, target.Root, "-o", _dir["out"], "--json"],
            new Dictionary<string, string?> { ["TMPDIR"] = _dir["tmp"] });
        Assert.True(r.ExitCode == 0, r.All);
        Assert.Equal("object", File.ReadAllText(_dir["out/pack.d/asyc/Driver.o"]));
        Assert.EndsWith("\t7\n", File.ReadAllText(_dir["out/mdevice.d/asyc"]));
        Assert.Equal("typedef int pid_t;\n", File.ReadAllText(_dir["out/include.d/sys/types.h"]));
        Assert.Equal("target init", File.ReadAllText(_dir["out/init.d/asyc"]));
        Assert.True(File.Exists(_dir["out/mdevice.d/ktest"]) && File.Exists(_dir["out/mdevice.d/hw"]));
        Assert.Empty(Directory.EnumerateFileSystemEntries(_dir["tmp"]));
    }

    [Fact]
    public void Merge_reports_a_malformed_tree_and_writes_nothing()
    {
        var source = new ConfTreeWriter(_dir["src"]).Driver("a").File("node.d/a", "a a0 q 0\n");
        var target = new ConfTreeWriter(_dir["tgt"]).Driver("a");
        var r = Kstuff("merge", source.Root, target.Root, "-o", _dir["out"]);
        Assert.Equal(1, r.ExitCode);
        Assert.Equal($"fatal: {Path.Combine(_dir["src"], "node.d/a")}:1: bad node type 'q' (b or c, optionally :offset)\n", r.StdErr);
        Assert.False(Directory.Exists(_dir["out"]));
    }

    [Theory]
    [InlineData("etc/conf/cf.d/pipe")]
    [InlineData("etc/conf/mdevice.d/pipe")]
    [InlineData("usr/include/sys/pipe.h")]
    public void A_fifo_in_the_tree_is_refused_at_once_not_waited_for(string where)
    {
        var fifo = Path.Combine(Root, "i386at", where);
        Directory.CreateDirectory(Path.GetDirectoryName(fifo)!);
        Assert.Equal(0, ProcessRunner.Run(_dir.Path, "mkfifo", [fifo]).ExitCode);
        var r = ProcessRunner.Run(_repo.Root, "git", ["kstuff", "bundle", "--root", Root, "--mach", "i386at"],
            new Dictionary<string, string?> { ["HOME"] = _dir.Path, ["KSTUFF_SYSTEM_RC"] = "" });
        Assert.Equal(1, r.ExitCode);
        Assert.Equal($"fatal: '{fifo}' is a FIFO (named pipe): a kernel configuration tree holds only files, directories and symbolic links\n", r.StdErr);
        Assert.False(File.Exists(Path.Combine(Root, "i386at/etc/conf/kstuff.d/bundle.Z")));
    }

    [Fact]
    public void A_malformed_master_inside_a_bundle_is_named_by_bundle_and_member()
    {
        var bundle = _dir["crafted.Z"];
        GitKsplice.Kstuff.Bundles.BundleArchive.Write(bundle,
        [
            GitKsplice.IO.ArchiveEntry.Directory("mdevice.d"),
            GitKsplice.IO.ArchiveEntry.Bytes("mdevice.d/foo", "$version 2\nfoo\tfoo_\tocH\n"u8.ToArray()),
        ], DateTimeOffset.UtcNow);
        var target = new ConfTreeWriter(_dir["tgt"]).Driver("a");
        Directory.CreateDirectory(_dir["tmp"]);
        var r = ProcessRunner.Run(_repo.Root, "git", ["kstuff", "merge", bundle, target.Root, "-o", _dir["out"]],
            new Dictionary<string, string?> { ["TMPDIR"] = _dir["tmp"] });
        Assert.Equal(1, r.ExitCode);
        Assert.StartsWith($"fatal: {bundle}(mdevice.d/foo):2: ", r.StdErr);
        Assert.Single(r.StdErr.TrimEnd('\n').Split('\n'));
        Assert.False(Directory.Exists(_dir["out"]));
        Assert.Empty(Directory.EnumerateFileSystemEntries(_dir["tmp"]));
    }

    [Theory]
    [InlineData("TERM")]
    [InlineData("INT")]
    public async Task A_bundle_of_a_large_tree_stops_on_a_signal_and_leaves_nothing(string signal)
    {
        // 300 drivers of 200 KiB that do not compress: seconds of gzip, which used to run on for 3 s after the
        // signal and leave its temporary file behind.
        var conf = new ConfTreeWriter(_dir["ROOT/i386at/etc/conf"]);
        var random = new Random(18);
        for (var i = 0; i < 300; i++)
        {
            conf.Driver($"drv{i}", "oc", cmaj: (100 + i).ToString());
            var bytes = new byte[200 * 1024];
            random.NextBytes(bytes);
            File.WriteAllBytes(_dir[$"ROOT/i386at/etc/conf/pack.d/drv{i}/Driver.o"], bytes);
        }
        _repo.Git("config", "kstuff.root", Root);
        _repo.Git("config", "kstuff.mach", "i386at");
        var psi = ProcessRunner.ToolWithDefaultSignals("git-kstuff", ["bundle", "-F"]);
        psi.WorkingDirectory = _repo.Root;
        psi.Environment["HOME"] = _dir.Path;
        psi.Environment["KSTUFF_SYSTEM_RC"] = "";
        foreach (var name in (string[])["ROOT", "MACH", "TOOLS"]) psi.Environment.Remove(name);
        var (built, work) = ProcessRunner.RunMeasuringWork(psi);
        Assert.True(built.ExitCode == 0, built.All);
        var kstuffDir = _dir["ROOT/i386at/etc/conf/kstuff.d"];
        var bundle = Path.Combine(kstuffDir, "bundle.Z");
        var sha256 = GitKsplice.Kstuff.Bundles.BundleBuilder.Sha256Of(bundle);
        var notes = _repo.Git("rev-parse", "refs/notes/kstuff");

        // A quarter of the whole bundle's work in: well inside the compression, far from its end.
        var stopped = await ProcessRunner.InterruptedPartWay(psi, work / 4, signal);
        Assert.Equal(ExitCodes.Interrupted, stopped.ExitCode);
        Assert.EndsWith("fatal: interrupted\n", stopped.StdErr);
        Assert.Equal(["bundle.Z"], Directory.GetFileSystemEntries(kstuffDir).Select(Path.GetFileName));
        Assert.Equal(sha256, GitKsplice.Kstuff.Bundles.BundleBuilder.Sha256Of(bundle));
        Assert.Equal(notes, _repo.Git("rev-parse", "refs/notes/kstuff"));
    }
}
