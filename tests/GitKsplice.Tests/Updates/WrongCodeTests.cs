using GitKsplice.Tests.Support;
using GitKsplice.Updates;

namespace GitKsplice.Tests.Updates;

/// <summary>
/// The ways a create could ship code its change did not make (issue 18): a failed patch left in the build tree,
/// the stale object of a deleted source, objects not compiled through the wrapper. After each failure, the next
/// create must give exactly what a create from a clean build tree gives.
/// </summary>
[Trait(TestCategory.Name, TestCategory.EndToEnd)]
public class WrongCodeTests
{
    private static readonly string GreetChanged =
        CTree.Greet.Replace("return printf(\"hello, %s\\n\", name);", "return printf(\"hello, %s\\n\", name) + 1;") + "\n";

    private const string Add = "int add(int a, int b)\n{\n\treturn a + b;\n}\n";

    /// <summary>The changed objects of an update, as comparable text: path, both hashes and what changed.</summary>
    private static string Objects(Manifest manifest) => string.Join("\n", manifest.Objects.Select(o =>
        $"{o.Path} {o.PreSha256} {o.PostSha256} changed[{string.Join(',', o.Changed)}] new[{string.Join(',', o.New)}] " +
        $"removed[{string.Join(',', o.Removed)}] unsafe[{string.Join(',', o.Unsafe.Select(u => u.Symbol))}]"));

    /// <summary>Creates the update of <paramref name="commit"/> and returns its objects.</summary>
    private static string Create(TestRepo repo, string id, string commit)
    {
        var r = repo.Ksplice("create", "--id", id, commit);
        Assert.True(r.ExitCode == 0, r.All);
        return Objects(UpdateArchive.ReadManifest(repo.Path($"ksplice-{id}.tar.gz")));
    }

    /// <summary>The same update made from nothing: the build trees and the pre snapshot removed first.</summary>
    private static string CreateClean(TestRepo repo, string id, string commit)
    {
        Directory.Delete(repo.Path(".git/ksplice/build"), recursive: true);
        return Create(repo, id, commit);
    }

    private static string Fatal(RunResult r) => r.StdErr.Split('\n').Single(l => l.StartsWith("fatal:", StringComparison.Ordinal));

    [Fact]
    public void A_patch_that_fails_halfway_leaves_nothing_in_the_build_tree_and_the_next_update_ships_only_its_change()
    {
        using var repo = CTree.Create();
        Assert.Equal(0, repo.Ksplice("create", "--prebuild").ExitCode);
        using var scratch = new TempDir();
        repo.Write("greet.c", GreetChanged);
        var greetHunk = repo.Git("diff") + "\n";
        repo.Git("checkout", "--", "greet.c");
        // patch(1)'s dry run passes; for real it creates the link, refuses the file below it, and patches greet.c.
        var patchFile = scratch.Write("evil.patch", $"""
            diff --git a/link b/link
            new file mode 120000
            --- /dev/null
            +++ b/link
            @@ -0,0 +1 @@
            +{scratch.Path}
            \ No newline at end of file
            diff --git a/link/evil.c b/link/evil.c
            new file mode 100644
            --- /dev/null
            +++ b/link/evil.c
            @@ -0,0 +1 @@
            +int evil;

            """ + greetHunk);

        var failed = repo.Ksplice("create", "--id", "evil01", "--patch", patchFile);

        Assert.Equal(1, failed.ExitCode);
        Assert.Equal($"fatal: patch does not apply: {patchFile}: Invalid file name link/evil.c -- skipping patch", Fatal(failed));
        var tree = repo.Path(".git/ksplice/build/tree");
        Assert.Equal(CTree.Greet + "\n", File.ReadAllText(Path.Combine(tree, "greet.c")));
        Assert.False(File.Exists(Path.Combine(tree, "link")) || Directory.Exists(Path.Combine(tree, "link")));
        Assert.False(File.Exists(Path.Combine(scratch.Path, "evil.c")));
        Assert.False(File.Exists(repo.Path("ksplice-evil01.tar.gz")));
        Assert.Empty(Directory.GetFileSystemEntries(repo.Path(".git/ksplice"), "patch-*"));

        repo.Write("data.c", CTree.Data.Replace("return ++counter;", "return counter += 2;") + "\n");
        var commit = repo.Commit("bump by two");
        var next = Create(repo, "next01", commit);

        Assert.StartsWith("data.o ", next);
        Assert.Contains("changed[bump]", next);
        Assert.DoesNotContain("greet.o", next);
        Assert.Equal(next, CreateClean(repo, "clean01", commit));
    }

    [Fact]
    public void A_hunk_whose_context_does_not_match_is_named_and_not_applied_unless_patch_opt_allows_fuzz()
    {
        using var repo = CTree.Create();
        using var scratch = new TempDir();
        // The first and last context lines are wrong: patch's default fuzz of 2 would apply it anyway.
        var patchFile = scratch.Write("fuzzy.patch", "--- a/greet.c\n+++ b/greet.c\n@@ -2,7 +2,7 @@\n" +
            " /* greet */\n int greet(const char *name)\n {\n" +
            "-\treturn printf(\"hello, %s\\n\", name);\n+\treturn printf(\"hello, %s\\n\", name) + 1;\n" +
            " }\n \n int shout(const char *wrong)\n");

        var refused = repo.Ksplice("create", "--id", "fuzz01", "--patch", patchFile);

        Assert.Equal(1, refused.ExitCode);
        Assert.Equal($"fatal: patch does not apply: {patchFile}: hunk #1 of greet.c does not apply (at line 2; " +
            "hunks must match exactly unless --patch-opt allows fuzz)", Fatal(refused));
        Assert.Equal(CTree.Greet + "\n", File.ReadAllText(repo.Path(".git/ksplice/build/tree/greet.c")));

        var fuzzy = repo.Ksplice("create", "--id", "fuzz02", "--patch", patchFile, "--patch-opt=--fuzz=1");

        Assert.True(fuzzy.ExitCode == 0, fuzzy.All);
        Assert.Contains("changed[greet]", Objects(UpdateArchive.ReadManifest(repo.Path("ksplice-fuzz02.tar.gz"))));

        // And after the refusal, a commit's update is what a clean build gives.
        repo.Write("data.c", CTree.Data.Replace("return ++counter;", "return counter += 3;") + "\n");
        var commit = repo.Commit("bump by three");
        var next = Create(repo, "fuzz03", commit);
        Assert.StartsWith("data.o ", next);
        Assert.Equal(next, CreateClean(repo, "fuzz04", commit));
    }

    [Fact]
    public void A_deleted_source_never_ships_the_stale_object_an_earlier_update_left()
    {
        using var repo = CTree.Create(markPre: false);
        repo.Write("a.c", Add);
        repo.Write("b.c", "int sub(int a, int b)\n{\n\treturn a - b;\n}\n");
        repo.Write("Makefile", CTree.Makefile.Replace("OBJS = main.o greet.o data.o", "OBJS = main.o greet.o data.o a.o b.o") + "\n");
        var pre = repo.Commit("add a.c and b.c");
        repo.Git("tag", "pre");
        Assert.Equal(0, repo.Ksplice("series", "set", "pre").ExitCode);
        repo.Write("a.c", Add.Replace("a + b", "a + b + 1"));
        var first = Create(repo, "add01", repo.Commit("add one more"));
        Assert.StartsWith("a.o ", first);

        // From pre again: add() moves into b.c and a.c goes.
        repo.Git("checkout", "-q", "-b", "move", pre);
        File.Delete(repo.Path("a.c"));
        repo.Write("b.c", "int sub(int a, int b)\n{\n\treturn a - b;\n}\n\n" + Add);
        repo.Write("Makefile", CTree.Makefile.Replace("OBJS = main.o greet.o data.o", "OBJS = main.o greet.o data.o b.o") + "\n");
        var moved = repo.Commit("move add() into b.c");

        var second = Create(repo, "move01", moved);

        Assert.DoesNotContain("a.o", second);
        Assert.StartsWith("b.o ", second);
        Assert.Contains("new[add]", second);
        Assert.Equal(second, CreateClean(repo, "move02", moved));
    }

    [Fact]
    public void An_object_compiled_by_a_compilers_full_path_stops_the_create_instead_of_giving_exit_3()
    {
        using var repo = CTree.Create(markPre: false);
        repo.Write("Makefile", CTree.Makefile + "\n\ngreet.o: greet.c\n\t/usr/bin/gcc $(CFLAGS) -c -o $@ greet.c\n");
        Assert.Equal(0, repo.Ksplice("series", "set", repo.Commit("greet.o by /usr/bin/gcc")).ExitCode);
        repo.Write("greet.c", GreetChanged);
        var change = repo.Commit("a real change in greet.c");

        var r = repo.Ksplice("create", "--id", "direct01", change);

        Assert.Equal(1, r.ExitCode);
        Assert.Equal("fatal: greet.o was compiled without git-ksplice's compiler wrapper, so no copy of greet.o with a " +
            "section per function exists to compare; compile objects through $(CC) (or gcc or cc from PATH), not a compiler's full path",
            Fatal(r));
        Assert.False(File.Exists(repo.Path("ksplice-direct01.tar.gz")));

        // The rule fixed and marked as the running source: the update is the one a clean build gives.
        repo.Write("Makefile", CTree.Makefile + "\n");
        repo.Write("greet.c", CTree.Greet + "\n");
        Assert.Equal(0, repo.Ksplice("series", "set", repo.Commit("greet.o through $(CC)")).ExitCode);
        repo.Write("greet.c", GreetChanged);
        var fixedChange = repo.Commit("the change again");
        var next = Create(repo, "direct02", fixedChange);
        Assert.StartsWith("greet.o ", next);
        Assert.Equal(next, CreateClean(repo, "direct03", fixedChange));
    }

    [Fact]
    public void On_a_fresh_tree_built_without_cc_the_message_names_the_objects()
    {
        using var repo = CTree.Create(markPre: false);
        repo.Write("Makefile", CTree.Makefile.Replace("$(CC)", "/usr/bin/gcc") + "\n\n%.o: %.c\n\t/usr/bin/gcc $(CFLAGS) -c -o $@ $<\n");
        Assert.Equal(0, repo.Ksplice("series", "set", repo.Commit("everything by /usr/bin/gcc")).ExitCode);
        repo.Write("greet.c", GreetChanged);

        var r = repo.Ksplice("create", "--id", "direct04", repo.Commit("a change"));

        Assert.Equal(1, r.ExitCode);
        Assert.StartsWith("fatal: data.o, greet.o, main.o, mod.o were compiled without git-ksplice's compiler wrapper", Fatal(r));
        Assert.DoesNotContain("Could not find", r.StdErr);
    }

    [Fact]
    public void A_makefile_that_stops_using_cc_after_earlier_builds_is_refused_not_compared_with_stale_copies()
    {
        using var repo = CTree.Create();
        Assert.Equal(0, repo.Ksplice("create", "--prebuild").ExitCode);
        repo.Write("greet.c", GreetChanged);
        repo.Write("Makefile", CTree.Makefile + "\n\ngreet.o: greet.c\n\t/usr/bin/gcc $(CFLAGS) -c -o $@ greet.c\n");
        var change = repo.Commit("greet.o by /usr/bin/gcc, and a change in it");

        var r = repo.Ksplice("create", "--id", "stale01", change);

        Assert.Equal(1, r.ExitCode);
        Assert.Equal("fatal: greet.o was compiled without git-ksplice's compiler wrapper, so the copy of greet.o with a " +
            "section per function is from an earlier build; compile objects through $(CC) (or gcc or cc from PATH), not a compiler's full path",
            Fatal(r));
        Assert.False(File.Exists(repo.Path("ksplice-stale01.tar.gz")));

        // The rule back to $(CC), the change kept: the update carries it, as a clean build's does.
        repo.Write("Makefile", CTree.Makefile + "\n");
        var fixedChange = repo.Commit("greet.o through $(CC) again");
        var next = Create(repo, "stale02", fixedChange);
        Assert.StartsWith("greet.o ", next);
        Assert.Contains("changed[greet]", next);
        Assert.Equal(next, CreateClean(repo, "stale03", fixedChange));
    }

    [Fact]
    public void A_removed_build_tree_directory_is_built_again_and_the_update_equals_a_clean_one()
    {
        using var repo = CTree.Create();
        Assert.Equal(0, repo.Ksplice("create", "--prebuild").ExitCode);
        repo.Write("greet.c", GreetChanged);
        var commit = repo.Commit("change greet");
        // What a user's rm -rf of the tree leaves: its state and index beside it, the directory gone.
        Directory.Delete(repo.Path(".git/ksplice/build/tree"), recursive: true);

        var after = Create(repo, "removed", commit);

        Assert.Equal(CreateClean(repo, "clean", commit), after);
    }

    [Fact]
    public void A_source_file_edited_in_the_build_tree_is_put_back_before_the_next_build()
    {
        using var repo = CTree.Create();
        Assert.Equal(0, repo.Ksplice("create", "--prebuild").ExitCode);
        // Behind our back (a build step, a hand edit): the tree's data.c no longer is the source it records.
        File.WriteAllText(repo.Path(".git/ksplice/build/tree/data.c"), CTree.Data.Replace("return ++counter;", "return counter * 7;") + "\n");
        File.SetLastWriteTimeUtc(repo.Path(".git/ksplice/build/tree/data.c"), DateTime.UtcNow.AddMinutes(1)); // newer than data.o
        repo.Write("greet.c", GreetChanged);
        var change = repo.Commit("change greet only");

        var next = Create(repo, "edit01", change);

        Assert.StartsWith("greet.o ", next);
        Assert.DoesNotContain("data.o", next);
        Assert.Equal(CTree.Data + "\n", File.ReadAllText(repo.Path(".git/ksplice/build/tree/data.c")));
        Assert.Equal(next, CreateClean(repo, "edit02", change));
    }

    [Fact]
    public void A_full_state_directory_is_told_as_no_space_left_on_it_and_the_next_create_is_a_clean_one()
    {
        using var repo = CTree.Create();
        repo.Write("greet.c", GreetChanged);
        var change = repo.Commit("fix greeting");
        var state = repo.Path(".git/ksplice");
        Directory.CreateDirectory(state);
        // Sizes that run out at different steps: the lock, the compiler wrapper, the build tree, the objects.
        foreach (var size in new[] { "4k", "8k", "32k", "64k", "96k" })
        {
            if (ProcessRunner.Run(repo.Root, "mount", ["-t", "tmpfs", "-o", $"size={size}", "tmpfs", state]).ExitCode != 0)
            {
                Assert.NotEqual("root", Environment.UserName); // mounting needs root: nothing to test without it
                return;
            }
            try
            {
                var r = repo.Ksplice("create", "--id", "full01", change);

                Assert.True(r.ExitCode == 1, $"size {size}: {r.All}");
                Assert.Equal($"fatal: no space left on {state}", Fatal(r).Split(" (building")[0]);
                Assert.False(File.Exists(repo.Path("ksplice-full01.tar.gz")));
                Assert.NotEqual(0, repo.TryGit("rev-parse", "--verify", "-q", "refs/ksplice/updates/full01").ExitCode);
            }
            finally { Assert.Equal(0, ProcessRunner.Run(repo.Root, "umount", [state]).ExitCode); }
        }

        Assert.Empty(Directory.GetFileSystemEntries(state));
        var next = Create(repo, "full02", change);
        Assert.StartsWith("greet.o ", next);
        Assert.Equal(next, CreateClean(repo, "full03", change));
    }
}
