using System.Text.Json;
using GitKsplice.IO;
using GitKsplice.Kstuff.Bundles;

using GitKsplice.Tests.Support;

namespace GitKsplice.Tests.Kstuff.Delivery;

/// <summary>Deliveries into a directory here (an image, a chroot): what they must never write, and what they say when they fail.</summary>
[Trait(TestCategory.Name, TestCategory.EndToEnd)]
public class LocalTargetTests
{
    private static void Ok(RunResult r) => Assert.True(r.ExitCode == 0, $"exit {r.ExitCode}\n{r.All}");

    private static JsonElement LastDelivery(DeliveryWorld w) =>
        JsonDocument.Parse(w.Repo.Kstuff("log", "--json").StdOut).RootElement.EnumerateArray().Last();

    [Fact]
    public void An_include_directory_linked_out_of_the_image_is_refused_and_the_rotation_undone()
    {
        using var w = new DeliveryWorld();
        using var outside = new TempDir();
        Directory.Delete(w.Target("usr/include/sys"), recursive: true);
        File.CreateSymbolicLink(w.Target("usr/include/sys"), outside.Path);
        var before = w.TargetSnapshot();
        var r = w.Kstuff(["-b", $"local:{w.TargetRoot}:unix"], viaSsh: false);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("outside the target's root", r.StdErr);
        Assert.Empty(Directory.EnumerateFileSystemEntries(outside.Path));
        Assert.True(before.SequenceEqual(w.TargetSnapshot()), TreeSnapshot.Describe(w.TargetSnapshot()));
    }

    [Fact]
    public void A_root_without_etc_is_told_what_is_missing()
    {
        using var w = new DeliveryWorld();
        using var empty = new TempDir();
        var r = w.Kstuff(["-b", $"local:{empty.Path}:k"], viaSsh: false);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains($"remote: no directory {empty.Path}/etc: the target's root holds no etc/", r.StdErr);
        Assert.DoesNotContain("held by", r.StdErr);
        Assert.Empty(Directory.EnumerateFileSystemEntries(empty.Path));
        Assert.Equal("locking", LastDelivery(w).GetProperty("failedStep").GetString());
    }

    [Fact]
    public void A_failed_quick_send_is_recorded_under_its_own_step()
    {
        using var w = new DeliveryWorld();
        var target = $"local:{w.TargetRoot}:dev";
        Ok(w.Kstuff(["-bq", target], viaSsh: false));
        var before = w.TargetSnapshot();
        w.Source.File("pack.d/foo/Driver.o", "foo object v2\n");
        w.Repo.Write("driver/foo.c", "int foo = 2;\n");
        w.Repo.Commit("fix foo");

        // The target's tar fails (a full disk) while it unpacks the changed Driver.o files.
        using var tools = new TempDir();
        var realTar = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(d => Path.Combine(d, "tar")).First(File.Exists);
        DeliveryWorld.Executable(tools["tar"], $"""
            #!/bin/sh
            case $PWD in */.kstuff-quick.*) echo "tar: write error: No space left on device" >&2; exit 2 ;; esac
            exec {realTar} "$@"
            """);
        var path = $"{tools.Path}:{ProcessRunner.ToolDirectory}:{Environment.GetEnvironmentVariable("PATH")}";
        var r = w.Kstuff(["-bqQ", target], viaSsh: false, env: new Dictionary<string, string?> { ["PATH"] = path });

        Assert.Equal(1, r.ExitCode);
        Assert.Contains("remote: tar: write error: No space left on device", r.StdErr);
        Assert.EndsWith($"fatal: sending the changed Driver.o files failed on local:{w.TargetRoot}: exit status 1\n", r.StdErr);
        var record = LastDelivery(w);
        Assert.Equal("quick", record.GetProperty("mode").GetString());
        Assert.Equal("failed", record.GetProperty("result").GetString());
        Assert.Equal("sending-changed-drivers", record.GetProperty("failedStep").GetString());
        Assert.True(before.SequenceEqual(w.TargetSnapshot()), TreeSnapshot.Describe(w.TargetSnapshot()));
    }

    [Fact]
    public void A_malformed_master_in_a_prebuilt_bundle_names_the_bundle_and_the_member()
    {
        using var w = new DeliveryWorld();
        var bundle = Path.Combine(w.Home, "nightly.Z");
        BundleArchive.Write(bundle,
        [
            ArchiveEntry.Directory("mdevice.d", 0b111_101_101),
            ArchiveEntry.Bytes("mdevice.d/foo", "$version 2\nfoo\tfoo_\tocH\n"u8.ToArray()),
        ], DateTimeOffset.UtcNow);
        var db = Path.Combine(w.Home, "kernels.db");
        File.WriteAllText(db, $"{w.Root}:{DeliveryWorld.Mach}:{bundle}:1:nightly\n");
        var r = w.Kstuff(["-b", "-d", db, $"local:{w.TargetRoot}:k"], viaSsh: false);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains($"fatal: {bundle}(mdevice.d/foo):2: ", r.StdErr);
        Assert.DoesNotContain(".git/kstuff", r.StdErr);
        Assert.Equal("reading-bundle", LastDelivery(w).GetProperty("failedStep").GetString());
    }
}
