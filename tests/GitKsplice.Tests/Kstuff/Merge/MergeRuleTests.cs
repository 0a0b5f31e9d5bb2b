using GitKsplice.Kstuff.Config;
using GitKsplice.Kstuff.Merge;
using GitKsplice.Tests.Support;

namespace GitKsplice.Tests.Kstuff.Merge;

/// <summary>Each rule of kstuff(1)'s OPERATION section, on trees written to disk and a merged tree written back.</summary>
public class MergeRuleTests : IDisposable
{
    private readonly MergeFixture _f = new();
    public void Dispose() => _f.Dispose();

    private MergeResult Merge(MergeOptions? options = null)
    {
        var result = ConfigMerge.Merge(ConfigTree.Load(_f.Source.Root, TreeSide.Source), ConfigTree.Load(_f.Target.Root, TreeSide.Target),
            options ?? new MergeOptions());
        result.Merged.Write(_f.Output);
        return result;
    }

    private string Merged(string relative) => File.ReadAllText(Path.Combine(_f.Output, relative));
    private bool InMerged(string relative) => File.Exists(Path.Combine(_f.Output, relative));
    private static string MasterLine(string text) => text.Split('\n').Single(l => l.Length > 0 && !"#*$".Contains(l[0]));
    private static string SystemLine(string text) => MasterLine(text);

    // ---- target-only drivers ----

    [Fact]
    public void Target_only_hardware_drivers_are_kept_and_the_others_left_out()
    {
        _f.Source.Driver("kernel");
        _f.Target.Driver("kernel")
            .Driver("blk", "b", bmaj: "7", driverO: "target blk")
            .Driver("chr", "c", cmaj: "8")
            .Driver("hw", "h")
            .Driver("dv", "-", extraMaster: "$dversion 1\n")
            .Driver("soft", "oS")
            .Driver("soft2", "-", node: "soft2 s2 c 0\n");
        var result = Merge();

        foreach (var kept in new[] { "blk", "chr", "hw", "dv" })
        {
            Assert.Equal(_f.Target.Read($"mdevice.d/{kept}"), Merged($"mdevice.d/{kept}"));
            Assert.Equal(_f.Target.Read($"sdevice.d/{kept}"), Merged($"sdevice.d/{kept}"));
            Assert.Equal(DriverFate.TargetOnlyKept, result.Decisions.Single(d => d.Name == kept).Fate);
        }
        Assert.Equal("target blk", Merged("pack.d/blk/Driver.o"));
        foreach (var dropped in new[] { "soft", "soft2" })
        {
            Assert.False(InMerged($"mdevice.d/{dropped}") || InMerged($"sdevice.d/{dropped}") || InMerged($"pack.d/{dropped}/Driver.o"));
            Assert.Equal(DriverFate.TargetOnlyDropped, result.Decisions.Single(d => d.Name == dropped).Fate);
        }
        Assert.False(InMerged("node.d/soft2"));
    }

    // ---- drivers in both ----

    [Fact]
    public void System_comes_from_the_target()
    {
        _f.Source.Driver("asyc", "c", cmaj: "3").File("sdevice.d/asyc", "$version 2\nasyc Y 1 5 1 4 3f8 3ff 0 0 -1\n");
        _f.Target.Driver("asyc", "c", cmaj: "3").File("sdevice.d/asyc", "$version 2\n* target's own\nasyc\tY\t2\t6\t1\t3\t2f8\t2ff\t0\t0\t-1\t1\n");
        Merge();
        Assert.Equal("$version 2\n* target's own\nasyc\tY\t2\t6\t1\t3\t2f8\t2ff\t0\t0\t-1\t1\n", Merged("sdevice.d/asyc"));
    }

    [Theory]
    [InlineData("$loadable\n", "$loadable\n", true)]
    [InlineData("$loadable\n", "", false)]
    [InlineData("", "$loadable\n", false)]
    [InlineData("", "", false)]
    [InlineData("#$loadable\n", "$loadable\n", true)]     // the single-# rule
    [InlineData("# $loadable\n", "$loadable\n", true)]
    [InlineData("##$loadable\n", "$loadable\n", false)]   // only a single #
    [InlineData("$loadable\n", "#$loadable\n", false)]    // the rule is for the source only
    public void A_driver_is_loadable_iff_loadable_in_both(string sourceDirective, string targetDirective, bool loadable)
    {
        _f.Source.Driver("mod").File("sdevice.d/mod", $"$version 2\n{sourceDirective}mod N 1 5 1 9 0 0 0 0 -1\n");
        _f.Target.Driver("mod").File("sdevice.d/mod", $"$version 2\n{targetDirective}mod Y 1 5 1 9 0 0 0 0 -1\n");
        Merge();
        var merged = Merged("sdevice.d/mod");
        Assert.Equal(loadable, merged.Split('\n').Contains("$loadable"));
        Assert.EndsWith("mod Y 1 5 1 9 0 0 0 0 -1\n", merged);
        if (!loadable && targetDirective == "$loadable\n")
            Assert.Equal("$version 2\nmod Y 1 5 1 9 0 0 0 0 -1\n", merged);
        else
            Assert.Equal(_f.Target.Read("sdevice.d/mod"), merged);
    }

    [Fact]
    public void Master_comes_from_the_source_with_majors_from_the_target()
    {
        _f.Source.Driver("disk", "bcH", bmaj: "10", cmaj: "10", extraMaster: "$depend ddi dma\n$interface ddi 8\n", prefix: "dsk_");
        _f.Target.Driver("disk", "bc", bmaj: "33", cmaj: "34-35", prefix: "olddsk_");
        var result = Merge();
        var merged = Merged("mdevice.d/disk");
        Assert.Equal("disk\tdsk_\tbcH\t0\t33\t34-35", MasterLine(merged));
        Assert.Contains("$depend ddi dma\n$interface ddi 8\n", merged);
        Assert.Equal(_f.Source.Read("mdevice.d/disk").Replace("\t10\t10\n", "\t33\t34-35\n"), merged);
        Assert.Empty(result.Warnings);   // no k: a quiet change
        Assert.Equal([new MajorChange('b', new(10, 10), new(33, 33)), new MajorChange('c', new(10, 10), new(34, 35))],
            result.Decisions.Single().MajorChanges);
    }

    [Fact]
    public void A_keep_driver_whose_majors_change_raises_a_warning()
    {
        _f.Source.Driver("kd", "ck", cmaj: "20").Driver("same", "ck", cmaj: "21");
        _f.Target.Driver("kd", "ck", cmaj: "50").Driver("same", "ck", cmaj: "21");
        var result = Merge();
        var warning = Assert.Single(result.Warnings);
        Assert.Equal("kd", warning.Driver);
        Assert.Contains("k (keep)", warning.Message);
        Assert.Contains("character 20 -> 50", warning.Message);
        Assert.EndsWith("\t50\n", Merged("mdevice.d/kd"));
    }

    [Fact]
    public void The_cpu_binding_of_a_version_1_Master_comes_from_the_target()
    {
        _f.Source.File("mdevice.d/bound", "$version 1\nbound bnd_ cr 0 0 12 0\n").File("sdevice.d/bound", "bound Y 1 5 1 9 0 0 0 0 -1\n")
            .File("mdevice.d/free", "$version 1\nfree fr_ c 0 0 13 1\n").File("sdevice.d/free", "free Y 1 5 1 9 0 0 0 0 -1\n")
            .File("mdevice.d/newly", "$version 1\nnewly nw_ c 0 0 14\n").File("sdevice.d/newly", "newly Y 1 5 1 9 0 0 0 0 -1\n");
        _f.Target.File("mdevice.d/bound", "$version 1\nbound bnd_ c 0 0 12 3\n").File("sdevice.d/bound", "bound Y 1 5 1 9 0 0 0 0 -1\n")
            .File("mdevice.d/free", "$version 1\nfree fr_ c 0 0 13\n").File("sdevice.d/free", "free Y 1 5 1 9 0 0 0 0 -1\n")
            .File("mdevice.d/newly", "$version 1\nnewly nw_ c 0 0 14 2\n").File("sdevice.d/newly", "newly Y 1 5 1 9 0 0 0 0 -1\n");
        _f.Source.Driver("v2src", "c", cmaj: "15");
        _f.Target.File("mdevice.d/v2src", "$version 1\nv2src v2src c 0 0 15 1\n").File("sdevice.d/v2src", "v2src Y 1 5 1 9 0 0 0 0 -1 1\n");
        Merge();
        Assert.Equal("$version 1\nbound bnd_ cr 0 0 12 3\n", Merged("mdevice.d/bound"));
        Assert.Equal(_f.Source.Read("mdevice.d/v2src"), Merged("mdevice.d/v2src"));   // version 2: the binding stays in System
        Assert.Equal("v2src Y 1 5 1 9 0 0 0 0 -1 1\n", Merged("sdevice.d/v2src"));
        Assert.Equal("$version 1\nfree fr_ c 0 0 13\n", Merged("mdevice.d/free"));
        Assert.Equal("$version 1\nnewly nw_ c 0 0 14 2\n", Merged("mdevice.d/newly"));
    }

    [Fact]
    public void Node_and_driver_object_come_from_the_source_when_present()
    {
        _f.Source.Driver("withnode", "c", cmaj: "5", node: "withnode new0 c 0\n", driverO: "new object")
            .Driver("nonode", "c", cmaj: "6", driverO: "new nonode");
        _f.Target.Driver("withnode", "c", cmaj: "5", node: "withnode old0 c 0\n", driverO: "old object")
            .Driver("nonode", "c", cmaj: "6", node: "nonode keep0 c 0\n");
        Merge();
        Assert.Equal("withnode new0 c 0\n", Merged("node.d/withnode"));
        Assert.Equal("new object", Merged("pack.d/withnode/Driver.o"));
        Assert.Equal("nonode keep0 c 0\n", Merged("node.d/nonode"));
        Assert.Equal("new nonode", Merged("pack.d/nonode/Driver.o"));
    }

    [Fact]
    public void A_hardware_driver_stubbed_out_in_the_source_but_configured_in_the_target_is_taken_from_the_target()
    {
        _f.Source.Driver("nic", "h", configured: false, driverO: "source nic", node: "nic n0 c 0\n")
            .Driver("softoff", "-", configured: false, driverO: "source soft");
        _f.Target.Driver("nic", "h", configured: true, driverO: "target nic", extraMaster: "$magic 7\n")
            .Driver("softoff", "-", configured: true, driverO: "target soft");
        var result = Merge();
        Assert.Equal(_f.Target.Read("mdevice.d/nic"), Merged("mdevice.d/nic"));
        Assert.Equal(_f.Target.Read("sdevice.d/nic"), Merged("sdevice.d/nic"));
        Assert.Equal("target nic", Merged("pack.d/nic/Driver.o"));
        Assert.False(InMerged("node.d/nic"));
        Assert.Equal(DriverFate.TakenFromTarget, result.Decisions.Single(d => d.Name == "nic").Fate);
        // Not hardware: the ordinary rules (System from the target, object from the source).
        Assert.Equal("source soft", Merged("pack.d/softoff/Driver.o"));
        Assert.Equal(DriverFate.Merged, result.Decisions.Single(d => d.Name == "softoff").Fate);
    }

    // ---- source-only drivers ----

    [Fact]
    public void Only_kerntp_and_required_source_drivers_come_in_by_default()
    {
        _f.Source.Driver("ktest").Driver("cdki").Driver("bdki").Driver("req", "r").Driver("plain").Driver("chr", "c", cmaj: "40");
        var result = Merge();
        foreach (var name in new[] { "ktest", "cdki", "bdki", "req" })
        {
            Assert.Equal(_f.Source.Read($"mdevice.d/{name}"), Merged($"mdevice.d/{name}"));
            Assert.Equal(_f.Source.Read($"sdevice.d/{name}"), Merged($"sdevice.d/{name}"));
            Assert.Equal("object", Merged($"pack.d/{name}/Driver.o"));
        }
        Assert.False(InMerged("mdevice.d/plain") || InMerged("mdevice.d/chr") || InMerged("pack.d/plain/Driver.o"));
        Assert.Equal(["bdki", "cdki", "ktest", "req"], result.SourceOnlyIncluded);
        Assert.Equal(DriverFate.SourceOnlyLeftOut, result.Decisions.Single(d => d.Name == "plain").Fate);
    }

    [Fact]
    public void Options_n_Y_and_N_stuff_named_drivers()
    {
        _f.Source.Driver("inc", configured: false).Driver("yes", configured: false).Driver("no", configured: true)
            .File("sdevice.d/multi", "$version 2\nmulti N 1 5 1 9 0 0 0 0 -1\nmulti\tY\t2\t5\t1\t10\t0\t0\t0\t0\t-1\n")
            .File("mdevice.d/multi", "$version 2\nmulti multi - 0 0 0\n");
        var stuff = new Dictionary<string, StuffMode>
        {
            ["inc"] = StuffMode.Include, ["yes"] = StuffMode.Configure,
            ["no"] = StuffMode.StubOut, ["multi"] = StuffMode.StubOut, ["ghost"] = StuffMode.Include
        };
        var result = Merge(new MergeOptions { Stuff = stuff });
        Assert.Equal(_f.Source.Read("sdevice.d/inc"), Merged("sdevice.d/inc"));
        Assert.Equal("yes\tY\t1\t5\t1\t9\t0\t0\t0\t0\t-1", SystemLine(Merged("sdevice.d/yes")));
        Assert.Equal("no\tN\t1\t5\t1\t9\t0\t0\t0\t0\t-1", SystemLine(Merged("sdevice.d/no")));
        Assert.Equal("$version 2\nmulti N 1 5 1 9 0 0 0 0 -1\nmulti\tN\t2\t5\t1\t10\t0\t0\t0\t0\t-1\n", Merged("sdevice.d/multi"));
        Assert.Contains(result.Warnings, w => w.Driver == "ghost" && w.Message.Contains("neither tree"));
    }

    [Fact]
    public void Y_and_N_also_settle_a_driver_present_in_both()
    {
        _f.Source.Driver("both", configured: true);
        _f.Target.Driver("both", configured: true);
        Merge(new MergeOptions { Stuff = new Dictionary<string, StuffMode> { ["both"] = StuffMode.StubOut } });
        Assert.Equal("both\tN\t1\t5\t1\t9\t0\t0\t0\t0\t-1", SystemLine(Merged("sdevice.d/both")));
    }

    [Fact]
    public void Colliding_majors_of_a_source_only_driver_are_remapped_to_a_free_range_of_the_same_size()
    {
        _f.Target.Driver("t1", "c", cmaj: "1-3").Driver("t2", "c", cmaj: "5").Driver("t3", "b", bmaj: "1-2")
            .Driver("soft", "-", cmaj: "9");   // no c: its cmaj field means nothing
        _f.Source.Driver("new", "cr", cmaj: "2-3")        // collides with t1 -> first free run of 2: 6-7
            .Driver("dev", "cr", cmaj: "12")              // collides with /dev -> next free: 4
            .Driver("blk", "br", bmaj: "2")               // block space: 1-2 taken -> 3
            .Driver("clean", "cr", cmaj: "20")            // no collision: unchanged
            .Driver("nine", "cr", cmaj: "9");             // 9 is free: soft is no character driver
        var options = new MergeOptions { DevMajors = new DeviceMajors(new HashSet<int>(), new HashSet<int> { 12, 8 }) };
        var result = Merge(options);
        Assert.Equal("blk\tblk\tbr\t0\t3\t0", MasterLine(Merged("mdevice.d/blk")));
        Assert.Equal("dev\tdev\tcr\t0\t0\t4", MasterLine(Merged("mdevice.d/dev")));
        Assert.Equal("new\tnew\tcr\t0\t0\t6-7", MasterLine(Merged("mdevice.d/new")));
        Assert.Equal("clean\tclean\tcr\t0\t0\t20", MasterLine(Merged("mdevice.d/clean")));
        Assert.Equal("nine\tnine\tcr\t0\t0\t9", MasterLine(Merged("mdevice.d/nine")));
        Assert.Empty(result.Warnings);   // none keeps its majors
        Assert.Contains("remapped", result.Decisions.Single(d => d.Name == "new").Reason);
    }

    [Fact]
    public void A_keep_driver_remapped_raises_a_warning_and_is_reserved_in_res_major()
    {
        _f.Target.Driver("t1", "c", cmaj: "7").File("cf.d/res_major", "# reserved\nc\t7\tt1\nc 8 gone\n");
        _f.Source.Driver("kept", "crk", cmaj: "7")      // collides with t1 -> lowest free: 1
            .Driver("mine", "crk", cmaj: "8")            // 8 is reserved for "gone", not for "mine" -> 2
            .Driver("own", "crk", cmaj: "30")             // free: reserved as is
            .Driver("ktest", "k", cmaj: "31");           // k without b/c: no majors to reserve
        _f.Target.File("cf.d/res_major", "# reserved\nc\t7\tt1\nc 8 gone\nc 30 own\n");
        var result = Merge();
        Assert.Equal("kept\tkept\tcrk\t0\t0\t1", MasterLine(Merged("mdevice.d/kept")));
        Assert.Equal("mine\tmine\tcrk\t0\t0\t2", MasterLine(Merged("mdevice.d/mine")));
        Assert.Equal("own\town\tcrk\t0\t0\t30", MasterLine(Merged("mdevice.d/own")));
        Assert.Equal(["kept", "mine"], result.Warnings.Select(w => w.Driver));
        Assert.All(result.Warnings, w => Assert.Contains("k (keep)", w.Message));
        Assert.Equal("# reserved\nc\t7\tt1\nc 8 gone\nc 30 own\nc\t1\tkept\nc\t2\tmine\n", Merged("cf.d/res_major"));
    }

    [Fact]
    public void A_driver_using_one_number_for_block_and_character_gets_one_number_back()
    {
        _f.Target.Driver("t1", "b", bmaj: "1-4").Driver("t2", "c", cmaj: "5").Driver("t3", "c", cmaj: "1-2");
        _f.Source.Driver("both", "bcr", bmaj: "4", cmaj: "4");   // block 5 and character 3 are free, but not as one number
        Merge();
        Assert.Equal("both\tboth\tbcr\t0\t6\t6", MasterLine(Merged("mdevice.d/both")));
    }

    [Fact]
    public void Without_room_for_its_majors_a_source_only_driver_is_left_out_with_a_warning()
    {
        _f.Target.Driver("t1", "c", cmaj: "1-7").Driver("t2", "c", cmaj: "9-10");
        _f.Source.Driver("wide", "cr", cmaj: "5-7", node: "wide w0 c 0\n").Driver("fits", "cr", cmaj: "1");
        var result = Merge(new MergeOptions { MaxMajor = 12 });
        Assert.False(InMerged("mdevice.d/wide") || InMerged("sdevice.d/wide") || InMerged("node.d/wide") || InMerged("pack.d/wide/Driver.o"));
        var warning = Assert.Single(result.Warnings);
        Assert.Equal("wide", warning.Driver);
        Assert.Contains("no free range of 3", warning.Message);
        Assert.Equal(DriverFate.SourceOnlyNoMajors, result.Decisions.Single(d => d.Name == "wide").Fate);
        Assert.Equal("fits\tfits\tcr\t0\t0\t8", MasterLine(Merged("mdevice.d/fits")));
    }

    // ---- other files ----

    [Fact]
    public void Init_rc_sd_and_cf_come_from_the_target_idtools_and_includes_from_the_source()
    {
        _f.Source.Driver("kernel").File("init.d/kernel", "source init").File("rc.d/src", "x").File("sd.d/s", "x").File("cf.d/stune", "source")
            .File("bin/idbuild", "source idbuild").File("include.d/sys/types.h", "new types").File("interface.d/ddi", "ddi 8")
            .File("cf.d/res_major", "c 99 srconly\n").File("extra/only-in-source", "s").File("extra/both", "source");
        _f.Target.Driver("kernel").File("init.d/kernel", "target init").File("rc.d/tgt", "y").File("sd.d/t", "y").File("cf.d/stune", "target")
            .File("cf.d/mtune.local", "t").File("bin/idbuild", "old idbuild").File("bin/idold", "old").File("extra/both", "target");
        Merge();
        Assert.Equal("target init", Merged("init.d/kernel"));
        Assert.True(InMerged("rc.d/tgt") && InMerged("sd.d/t") && !InMerged("rc.d/src") && !InMerged("sd.d/s"));
        Assert.Equal("target", Merged("cf.d/stune"));
        Assert.False(InMerged("cf.d/res_major"));
        Assert.Equal("source idbuild", Merged("bin/idbuild"));
        Assert.False(InMerged("bin/idold"));
        Assert.Equal("new types", Merged("include.d/sys/types.h"));
        Assert.Equal("ddi 8", Merged("interface.d/ddi"));
        Assert.Equal("target", Merged("extra/both"));
        Assert.Equal("s", Merged("extra/only-in-source"));
    }

    [Fact]
    public void Idtools_come_from_the_target_when_the_bundle_has_none()
    {
        _f.Source.Driver("kernel");
        _f.Target.Driver("kernel").File("bin/idbuild", "target idbuild");
        Merge();
        Assert.Equal("target idbuild", Merged("bin/idbuild"));
    }

    [Fact]
    public void A_rename_map_makes_a_source_driver_replace_the_target_driver_of_the_other_name()
    {
        _f.Source.Driver("e1000g", "hc", cmaj: "40", node: "e1000g net0 c 0\n", driverO: "new e1000g").File("mtune.d/e1000g", "E1000_RX 64 16 256\n");
        _f.Target.Driver("e1000", "hc", cmaj: "22", driverO: "old e1000");
        var result = Merge(new MergeOptions { Renames = new Dictionary<string, string> { ["e1000g"] = "e1000", ["nosuch"] = "x" } });
        Assert.Equal("e1000\te1000g\thc\t0\t0\t22", MasterLine(Merged("mdevice.d/e1000")));
        Assert.Equal(_f.Target.Read("sdevice.d/e1000"), Merged("sdevice.d/e1000"));
        Assert.Equal("e1000 net0 c 0\n", Merged("node.d/e1000"));
        Assert.Equal("new e1000g", Merged("pack.d/e1000/Driver.o"));
        Assert.Equal("E1000_RX 64 16 256\n", Merged("mtune.d/e1000"));
        Assert.False(InMerged("mdevice.d/e1000g") || InMerged("pack.d/e1000g/Driver.o"));
        var decision = result.Decisions.Single(d => d.Name == "e1000");
        Assert.Equal(("e1000g", DriverFate.Merged), (decision.SourceName, decision.Fate));
        Assert.Contains(result.Warnings, w => w.Driver == "nosuch");
    }

    [Fact]
    public void The_merge_is_deterministic_and_leaves_its_inputs_alone()
    {
        _f.Source.Driver("a", "cr", cmaj: "3").Driver("b", "c", cmaj: "4").Driver("ktest", "ck", cmaj: "3");
        _f.Target.Driver("b", "c", cmaj: "3").Driver("c", "h");
        var source = ConfigTree.Load(_f.Source.Root);
        var target = ConfigTree.Load(_f.Target.Root, TreeSide.Target);
        var sourceBefore = source.Files().Select(f => (f.Path, Convert.ToHexString(f.Content!.ReadAllBytes()))).ToList();
        var first = ConfigMerge.Merge(source, target, new MergeOptions());
        var second = ConfigMerge.Merge(source, target, new MergeOptions());
        Assert.Equal(first.Merged.Files().Select(f => (f.Path, Convert.ToHexString(f.Content!.ReadAllBytes()))),
            second.Merged.Files().Select(f => (f.Path, Convert.ToHexString(f.Content!.ReadAllBytes()))));
        Assert.Equal(first.Decisions.Select(d => (d.Name, d.Fate, d.Reason, string.Join(",", d.MajorChanges))),
            second.Decisions.Select(d => (d.Name, d.Fate, d.Reason, string.Join(",", d.MajorChanges))));
        Assert.Equal(sourceBefore, source.Files().Select(f => (f.Path, Convert.ToHexString(f.Content!.ReadAllBytes()))));
        // a (cr, 3) collides with b's target major 3 -> 1; ktest then collides with nothing left at 3? 3 is b's: -> 2
        Assert.Equal("a\ta\tcr\t0\t0\t1", MasterLine(ConfigFile.Encoding.GetString(first.Merged.Drivers["a"].Master!.ToBytes())));
        Assert.Equal("ktest\tktest\tck\t0\t0\t2", MasterLine(ConfigFile.Encoding.GetString(first.Merged.Drivers["ktest"].Master!.ToBytes())));
    }

    [Fact]
    public void Merged_files_say_which_side_they_come_from()
    {
        _f.Source.Driver("both", "c", cmaj: "3").Driver("ktest").Driver("moved", "cr", cmaj: "3");
        _f.Target.Driver("both", "c", cmaj: "3").Driver("hw", "h").File("init.d/x", "t");
        var merged = Merge().Merged;
        var origin = merged.Files().ToDictionary(f => f.Path, f => f.Origin);
        Assert.Equal(TreeSide.Source, origin["mdevice.d/ktest"]);
        Assert.Equal(TreeSide.Merged, origin["mdevice.d/moved"]);   // remapped: no longer the source's file
        Assert.Equal(TreeSide.Target, origin["pack.d/hw/Driver.o"]);
        Assert.Equal(TreeSide.Source, origin["pack.d/both/Driver.o"]);
        Assert.Equal(TreeSide.Source, origin["pack.d/ktest/Driver.o"]);
        Assert.Equal(TreeSide.Target, origin["init.d/x"]);
        Assert.Equal(TreeSide.Merged, origin["mdevice.d/both"]);
    }
}
