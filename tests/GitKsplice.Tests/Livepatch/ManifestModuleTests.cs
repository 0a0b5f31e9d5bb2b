using System.Text.Json;
using GitKsplice.Livepatch;
using GitKsplice.Updates;

namespace GitKsplice.Tests.Livepatch;

/// <summary>manifest.json's "module": the contract between create (which writes the module) and try (which loads it).</summary>
public class ManifestModuleTests
{
    private static Manifest WithModule(LivepatchModule? module) => new()
    {
        Id = UpdateId.Parse("fix-1"), Pre = new string('1', 40), PreTree = new string('2', 40), Post = new string('3', 40), PostTree = new string('4', 40), Source = "commit q", Compiler = "gcc",
        BuildCommand = "make", CompilerFlags = "", Objects = [], Module = module,
    };

    [Fact]
    public void The_module_entry_is_written_in_camel_case_and_reads_back()
    {
        var module = new LivepatchModule
        {
            File = LivepatchModule.FileName("fix-1"), Name = LivepatchModule.ModuleName("fix-1"), Sha256 = new string('a', 64),
            KernelRelease = "6.1.192", KernelReleaseSource = "bzImage in ORIG_CONFIG",
            SymbolPositionsSource = "System.map in ORIG_CONFIG", Follows = "fix-0",
            Objects = [new PatchedObject("vmlinux", [new PatchedFunction("meminfo_proc_show", 0), new PatchedFunction("show_val", 2)])],
        };
        var json = WithModule(module).ToJson();

        using var doc = JsonDocument.Parse(json);
        var m = doc.RootElement.GetProperty("module");
        Assert.Equal("ksplice_fix-1.ko", m.GetProperty("file").GetString());
        Assert.Equal("ksplice_fix_1", m.GetProperty("name").GetString());
        Assert.Equal("6.1.192", m.GetProperty("kernelRelease").GetString());
        Assert.False(m.GetProperty("replace").GetBoolean());
        Assert.Equal("fix-0", m.GetProperty("follows").GetString());
        var f = m.GetProperty("objects")[0].GetProperty("functions")[1];
        Assert.Equal("show_val", f.GetProperty("oldName").GetString());
        Assert.Equal(2, f.GetProperty("sympos").GetInt32());

        var back = Manifest.FromJson(json, "manifest.json").Module!;
        Assert.Equal(module with { Objects = [] }, back with { Objects = [] });
        Assert.Equal(module.Objects[0].Functions, back.Objects[0].Functions);
    }

    [Fact]
    public void A_manifest_without_a_module_says_so()
    {
        using var doc = JsonDocument.Parse(WithModule(null).ToJson());
        Assert.Equal(JsonValueKind.Null, doc.RootElement.GetProperty("module").ValueKind);
        Assert.Null(Manifest.FromJson(WithModule(null).ToJson(), "manifest.json").Module);
    }
}
