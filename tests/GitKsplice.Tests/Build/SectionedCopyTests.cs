using GitKsplice.Tests.Support;
using GitKsplice.Updates;

namespace GitKsplice.Tests.Build;

/// <summary>
/// A plain Makefile's sectioned copies are compiled only for the objects a change rebuilds (issue 17): the pre
/// build records each object's sectioned compile and compiles the copies of the files the change touches, an
/// update's build compiles the copies of what it rebuilds, and a pre copy not made yet is compiled from the pre
/// source, the build tree moved back to it meanwhile. --prebuild compiles them all, ahead of time.
/// </summary>
[Trait(TestCategory.Name, TestCategory.EndToEnd)]
public class SectionedCopyTests
{
    private static string Copies(TestRepo repo, string dir) =>
        string.Join(" ", Directory.EnumerateFiles(repo.Path(".git/ksplice/build/" + dir), "*.o").Select(Path.GetFileName).Order(StringComparer.Ordinal));

    private static string Objects(TestRepo repo, string id) => string.Join("\n",
        UpdateArchive.ReadManifest(repo.Path($"ksplice-{id}.tar.gz")).Objects.Select(o =>
            $"{o.Path} {o.PreSha256} {o.PostSha256} changed[{string.Join(',', o.Changed)}] new[{string.Join(',', o.New)}]"));

    private static void Create(TestRepo repo, string id, string commit)
    {
        var r = repo.Ksplice("create", "--id", id, commit);
        Assert.True(r.ExitCode == 0, r.All);
    }

    [Fact]
    public void Only_the_objects_a_change_rebuilds_get_sectioned_copies_and_the_update_is_the_one_a_clean_build_gives()
    {
        using var repo = CTree.Create();
        repo.Write("greet.c", CTree.Greet.Replace("return printf(\"hello, %s\\n\", name);", "return printf(\"hello, %s\\n\", name) + 1;") + "\n");
        var greet = repo.Commit("change greet");
        Create(repo, "greet1", greet);
        Assert.Equal("greet.o", Copies(repo, "pre-outputs"));
        Assert.Equal("greet.o", Copies(repo, "tree.objects"));
        Assert.StartsWith("greet.o ", Objects(repo, "greet1"));
        Assert.Contains("changed[greet]", Objects(repo, "greet1"));

        // Another change on the same pre state: its own pre copy is compiled after the post build, the tree moved
        // back to the pre source meanwhile, and the first one kept.
        repo.Git("checkout", "-q", "HEAD~1", "--", "greet.c");
        repo.Write("data.c", CTree.Data.Replace("return ++counter;", "return counter += 2;") + "\n");
        var data = repo.Commit("change data instead");
        var later = repo.Ksplice("create", "-v", "--id", "data1", data);
        Assert.True(later.ExitCode == 0, later.All);
        Assert.Contains("compiling the pre state's copies of 1 object(s)", later.All);
        Assert.Equal("data.o greet.o", Copies(repo, "pre-outputs"));
        Assert.StartsWith("data.o ", Objects(repo, "data1"));
        Assert.DoesNotContain("greet.o", Objects(repo, "data1"));
        // The tree went back to the post source after the pre copy was compiled, and git sees it so.
        Assert.Contains("counter += 2;", File.ReadAllText(repo.Path(".git/ksplice/build/tree/data.c")));
        var tree = ProcessRunner.Run(repo.Root, "git", ["diff-files", "--quiet"], new Dictionary<string, string?>
        {
            ["GIT_WORK_TREE"] = repo.Path(".git/ksplice/build/tree"),
            ["GIT_INDEX_FILE"] = repo.Path(".git/ksplice/build/tree.index"),
        });
        Assert.True(tree.ExitCode == 0, tree.All);

        // The same updates from an empty build directory, whose pre build compiles the pre copies they need.
        Directory.Delete(repo.Path(".git/ksplice/build"), recursive: true);
        Create(repo, "data2", data);
        Assert.Equal(Objects(repo, "data1"), Objects(repo, "data2"));
        Directory.Delete(repo.Path(".git/ksplice/build"), recursive: true);
        Create(repo, "greet2", greet);
        Assert.Equal(Objects(repo, "greet1"), Objects(repo, "greet2"));
    }

    [Fact]
    public void A_prebuild_compiles_every_pre_copy_so_that_no_create_moves_the_tree_back_for_one()
    {
        using var repo = CTree.Create();
        var prebuild = repo.Ksplice("create", "--prebuild");
        Assert.True(prebuild.ExitCode == 0, prebuild.All);
        Assert.Contains("compiling the sectioned copies of 4 object(s) for later updates", prebuild.All);
        Assert.Equal("data.o greet.o main.o mod.o", Copies(repo, "pre-outputs"));
        var again = repo.Ksplice("create", "--prebuild");
        Assert.True(again.ExitCode == 0, again.All);
        Assert.DoesNotContain("sectioned copies", again.All);

        repo.Write("data.c", CTree.Data.Replace("return ++counter;", "return counter += 2;") + "\n");
        var data = repo.Commit("change data");
        var warm = repo.Ksplice("create", "-v", "--id", "warm", data);
        Assert.True(warm.ExitCode == 0, warm.All);
        Assert.DoesNotContain("compiling the pre state's copies", warm.All);
        // The same update as a cold create's, whose pre copy the pre build compiled.
        Directory.Delete(repo.Path(".git/ksplice/build"), recursive: true);
        Create(repo, "cold", data);
        Assert.Equal(Objects(repo, "cold"), Objects(repo, "warm"));

        // After an update, a prebuild moves the tree back to the pre source, snapshots the objects that move rebuilt
        // (else the next create would take data.o for a changed object) and fills in the copies that are missing.
        Directory.Delete(repo.Path(".git/ksplice/build/pre-outputs"), recursive: true);
        Create(repo, "data3", data);
        prebuild = repo.Ksplice("create", "--prebuild");
        Assert.True(prebuild.ExitCode == 0, prebuild.All);
        Assert.Contains("compiling the sectioned copies of 4 object(s)", prebuild.All); // data.o's too: rebuilt by the move back
        Assert.Equal("data.o greet.o main.o mod.o", Copies(repo, "pre-outputs"));
        Assert.Equal(File.GetLastWriteTimeUtc(repo.Path(".git/ksplice/build/tree/data.o")),
            File.GetLastWriteTimeUtc(repo.Path(".git/ksplice/build/pre-outputs/data.o.cmdline")));
        Assert.Equal(File.GetLastWriteTimeUtc(repo.Path(".git/ksplice/build/tree/data.o")),
            File.GetLastWriteTimeUtc(repo.Path(".git/ksplice/build/pre-outputs/data.o")));
    }

    [Fact]
    public void A_cold_create_compiles_the_pre_copies_of_the_files_its_change_touches_with_the_pre_build()
    {
        using var repo = CTree.Create();
        repo.Write("greet.c", CTree.Greet.Replace("return printf(\"hello, %s\\n\", name);", "return printf(\"hello, %s\\n\", name) + 1;") + "\n");
        var greet = repo.Commit("change greet");
        const string LaterCompile = "compiling the pre state's copies";

        var cold = repo.Ksplice("create", "-v", "--id", "cold", greet);
        Assert.True(cold.ExitCode == 0, cold.All);
        Assert.DoesNotContain(LaterCompile, cold.All);
        Assert.Equal("greet.o", Copies(repo, "pre-outputs"));

        // A patch names its files before anything is built, and a -p0 patch is read with its own strip level.
        foreach (var (strip, prefixes) in new[] { ("-p1", Array.Empty<string>()), ("-p0", new[] { "--no-prefix" }) })
        {
            var patch = repo.Path($"greet{strip}.patch");
            File.WriteAllText(patch, repo.Git(["diff", .. prefixes, "HEAD~1", "HEAD"]) + "\n");
            Directory.Delete(repo.Path(".git/ksplice/build"), recursive: true);
            var patched = repo.Ksplice("create", "-v", "--id", "patched" + strip, "--patch", patch, "--patch-opt=" + strip);
            Assert.True(patched.ExitCode == 0, patched.All);
            Assert.DoesNotContain(LaterCompile, patched.All);
            Assert.Equal(Objects(repo, "cold"), Objects(repo, "patched" + strip));
        }
    }

    [Fact]
    public void A_series_update_keeps_the_copies_made_with_the_new_pre_states_objects()
    {
        using var repo = CTree.Create();
        repo.Write("greet.c", CTree.Greet.Replace("\"hello, %s\\n\"", "\"hi, %s\\n\"") + "\n");
        var first = repo.Commit("greet says hi");
        var r = repo.Ksplice("create", "--series", "--id", "series1", first);
        Assert.True(r.ExitCode == 0, r.All);

        repo.Write("greet.c", CTree.Greet.Replace("\"hello, %s\\n\"", "\"hey, %s\\n\"") + "\n");
        var second = repo.Commit("greet says hey");
        Create(repo, "series2", second);
        Assert.StartsWith("greet.o ", Objects(repo, "series2"));
        var pre = UpdateArchive.ReadManifest(repo.Path("ksplice-series2.tar.gz")).Objects[0].PreSha256;
        Assert.Equal(UpdateArchive.ReadManifest(repo.Path("ksplice-series1.tar.gz")).Objects[0].PostSha256, pre);
    }
}
