using GitKsplice.Kstuff.Config;
using GitKsplice.Kstuff.Merge;
using GitKsplice.Tests.Support;

namespace GitKsplice.Tests.Kstuff.Merge;

/// <summary>
/// One source and one target of thirty-two drivers, version 1 and version 2 files mixed, every rule at once;
/// the merged tree is checked file by file and line by line.
/// </summary>
public class MergeScenarioTests : IDisposable
{
    private readonly MergeFixture _f = new();
    public void Dispose() => _f.Dispose();

    private static string V1Master(string name, string chars, string bmaj, string cmaj, string? cpu = null, string directives = "") =>
        $"* {name}: version 1\n$version 1\n{directives}{name}\t{name}_\t{chars}\t1\t{bmaj}\t{cmaj}{(cpu == null ? "" : "\t" + cpu)}\n";
    private static string V1System(string name, char configured) => $"{name}\t{configured}\t1\t5\t1\t9\t0\t0\t0\t0\t-1\n";

    [Fact]
    public void Thirty_two_drivers_merge_by_every_rule()
    {
        var s = _f.Source;
        var t = _f.Target;
        // Target only.
        t.Driver("t_blk", "b", bmaj: "20").Driver("t_chr", "c", cmaj: "21").Driver("t_sw", "oS")
         .File("mdevice.d/t_hw", V1Master("t_hw", "h", "0", "0")).File("sdevice.d/t_hw", V1System("t_hw", 'Y'))
         .File("mdevice.d/t_dv", V1Master("t_dv", "-", "0", "0", directives: "$dversion 1\n")).File("sdevice.d/t_dv", V1System("t_dv", 'Y'))
         .File("mdevice.d/t_sw1", V1Master("t_sw1", "-", "0", "0")).File("sdevice.d/t_sw1", V1System("t_sw1", 'Y'));
        // In both.
        s.Driver("b_plain", "c", cmaj: "30", driverO: "new plain"); t.Driver("b_plain", "c", cmaj: "31", driverO: "old plain");
        s.Driver("b_keep", "ck", cmaj: "32"); t.Driver("b_keep", "ck", cmaj: "33");
        s.Driver("b_keep_same", "ck", cmaj: "34"); t.Driver("b_keep_same", "ck", cmaj: "34");
        s.File("mdevice.d/b_v1cpu", V1Master("b_v1cpu", "c", "0", "35", "0")).File("sdevice.d/b_v1cpu", V1System("b_v1cpu", 'Y'));
        t.File("mdevice.d/b_v1cpu", V1Master("b_v1cpu", "c", "0", "35", "2")).File("sdevice.d/b_v1cpu", V1System("b_v1cpu", 'Y'));
        s.Driver("b_load_both", loadable: true); t.Driver("b_load_both", loadable: true);
        s.Driver("b_load_src", loadable: true); t.Driver("b_load_src");
        s.Driver("b_load_tgt"); t.Driver("b_load_tgt", loadable: true);
        s.Driver("b_load_hash").File("sdevice.d/b_load_hash", "$version 2\n#$loadable\nb_load_hash\tY\t1\t5\t1\t9\t0\t0\t0\t0\t-1\n");
        t.Driver("b_load_hash", loadable: true);
        s.Driver("b_node_src", "c", cmaj: "40", node: "b_node_src new c 0\n"); t.Driver("b_node_src", "c", cmaj: "40", node: "b_node_src old c 0\n");
        s.Driver("b_node_tgt", "c", cmaj: "41"); t.Driver("b_node_tgt", "c", cmaj: "41", node: "b_node_tgt old c 0\n");
        s.Driver("b_hw_stub", "h", configured: false, driverO: "src hw"); t.Driver("b_hw_stub", "h", configured: true, driverO: "tgt hw");
        s.Driver("b_hw_off", "h", configured: false, driverO: "src off"); t.Driver("b_hw_off", "h", configured: false, driverO: "tgt off");
        s.Driver("b_sw_stub", "-", configured: false, driverO: "src sw"); t.Driver("b_sw_stub", "-", configured: true, driverO: "tgt sw");
        // Source only.
        s.Driver("ktest").Driver("cdki").Driver("bdki")
         .File("mdevice.d/s_req", V1Master("s_req", "r", "0", "0")).File("sdevice.d/s_req", V1System("s_req", 'Y')).File("pack.d/s_req/Driver.o", "req")
         .Driver("s_plain").Driver("s_n", configured: false).Driver("s_Y", configured: false).Driver("s_N", configured: true)
         .Driver("s_collide", "cr", cmaj: "21").Driver("s_dev", "cr", cmaj: "1")
         .Driver("s_keep_free", "crk", cmaj: "60").Driver("s_keep_remap", "crk", cmaj: "33")
         .Driver("s_noroom", "cr", cmaj: "10-59", node: "s_noroom nr c 0\n");
        t.File("cf.d/res_major", "# reserved\nc 3 someone\n");

        var options = new MergeOptions
        {
            Stuff = new Dictionary<string, StuffMode> { ["s_n"] = StuffMode.Include, ["s_Y"] = StuffMode.Configure, ["s_N"] = StuffMode.StubOut },
            DevMajors = new DeviceMajors(new HashSet<int>(), new HashSet<int> { 1, 2 }),
            MaxMajor = 70,
        };
        var result = ConfigMerge.Merge(ConfigTree.Load(s.Root), ConfigTree.Load(t.Root, TreeSide.Target), options);
        result.Merged.Write(_f.Output);
        var merged = new ConfTreeWriter(_f.Output);

        var fates = result.Decisions.ToDictionary(d => d.Name, d => d.Fate);
        Assert.Equal(32, fates.Count);
        string[] kept = ["t_blk", "t_chr", "t_hw", "t_dv"], dropped = ["t_sw", "t_sw1"];
        foreach (var name in kept)
        {
            Assert.Equal(DriverFate.TargetOnlyKept, fates[name]);
            Assert.Equal(t.Read($"mdevice.d/{name}"), merged.Read($"mdevice.d/{name}"));
            Assert.Equal(t.Read($"sdevice.d/{name}"), merged.Read($"sdevice.d/{name}"));
        }
        foreach (var name in dropped)
        {
            Assert.Equal(DriverFate.TargetOnlyDropped, fates[name]);
            Assert.False(merged.Exists($"mdevice.d/{name}") || merged.Exists($"sdevice.d/{name}"));
        }

        Assert.Equal(s.Read("mdevice.d/b_plain").Replace("\t30\n", "\t31\n"), merged.Read("mdevice.d/b_plain"));
        Assert.Equal("new plain", merged.Read("pack.d/b_plain/Driver.o"));
        Assert.Equal(s.Read("mdevice.d/b_keep").Replace("\t32\n", "\t33\n"), merged.Read("mdevice.d/b_keep"));
        Assert.Equal(s.Read("mdevice.d/b_keep_same"), merged.Read("mdevice.d/b_keep_same"));
        Assert.Equal(V1Master("b_v1cpu", "c", "0", "35", "2"), merged.Read("mdevice.d/b_v1cpu"));
        Assert.Contains("\n$loadable\n", merged.Read("sdevice.d/b_load_both"));
        Assert.Equal(t.Read("sdevice.d/b_load_src"), merged.Read("sdevice.d/b_load_src"));
        Assert.DoesNotContain("$loadable", merged.Read("sdevice.d/b_load_tgt"));
        Assert.Equal(t.Read("sdevice.d/b_load_hash"), merged.Read("sdevice.d/b_load_hash"));
        Assert.Equal("b_node_src new c 0\n", merged.Read("node.d/b_node_src"));
        Assert.Equal("b_node_tgt old c 0\n", merged.Read("node.d/b_node_tgt"));
        Assert.Equal(DriverFate.TakenFromTarget, fates["b_hw_stub"]);
        Assert.Equal("tgt hw", merged.Read("pack.d/b_hw_stub/Driver.o"));
        Assert.Equal(t.Read("mdevice.d/b_hw_stub"), merged.Read("mdevice.d/b_hw_stub"));
        Assert.Equal(DriverFate.Merged, fates["b_hw_off"]);
        Assert.Equal("src off", merged.Read("pack.d/b_hw_off/Driver.o"));
        Assert.Equal(DriverFate.Merged, fates["b_sw_stub"]);
        Assert.Equal(t.Read("sdevice.d/b_sw_stub"), merged.Read("sdevice.d/b_sw_stub"));
        Assert.Equal("src sw", merged.Read("pack.d/b_sw_stub/Driver.o"));

        Assert.Equal(["bdki", "cdki", "ktest", "s_N", "s_Y", "s_collide", "s_dev", "s_keep_free", "s_keep_remap", "s_n", "s_req"],
            result.SourceOnlyIncluded);
        Assert.Equal(DriverFate.SourceOnlyLeftOut, fates["s_plain"]);
        Assert.Equal(DriverFate.SourceOnlyNoMajors, fates["s_noroom"]);
        Assert.False(merged.Exists("mdevice.d/s_plain") || merged.Exists("mdevice.d/s_noroom") || merged.Exists("node.d/s_noroom"));
        Assert.Equal(V1Master("s_req", "r", "0", "0"), merged.Read("mdevice.d/s_req"));
        Assert.Equal("req", merged.Read("pack.d/s_req/Driver.o"));
        Assert.Equal(s.Read("sdevice.d/s_n"), merged.Read("sdevice.d/s_n"));
        Assert.Equal(s.Read("sdevice.d/s_Y").Replace("\tN\t", "\tY\t"), merged.Read("sdevice.d/s_Y"));
        Assert.Equal(s.Read("sdevice.d/s_N").Replace("\tY\t", "\tN\t"), merged.Read("sdevice.d/s_N"));
        // Character majors in use: /dev 1 2, res_major 3, target 21 31 33 34 35 40 41.
        Assert.EndsWith("\tcr\t0\t0\t4\n", merged.Read("mdevice.d/s_collide"));
        Assert.EndsWith("\tcr\t0\t0\t5\n", merged.Read("mdevice.d/s_dev"));
        Assert.EndsWith("\tcrk\t0\t0\t60\n", merged.Read("mdevice.d/s_keep_free"));
        Assert.EndsWith("\tcrk\t0\t0\t6\n", merged.Read("mdevice.d/s_keep_remap"));
        Assert.Equal("# reserved\nc 3 someone\nc\t60\ts_keep_free\nc\t6\ts_keep_remap\n", merged.Read("cf.d/res_major"));

        Assert.Equal(["b_keep", "s_keep_remap", "s_noroom"], result.Warnings.Select(w => w.Driver));
    }
}
