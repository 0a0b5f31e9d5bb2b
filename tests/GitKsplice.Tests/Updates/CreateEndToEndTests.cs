using System.Text.Json;
using GitKsplice.Elf;
using GitKsplice.Tests.Support;
using GitKsplice.Updates;

namespace GitKsplice.Tests.Updates;

/// <summary>git ksplice create on a real C tree built by real gcc through a plain Makefile.</summary>
[Trait(TestCategory.Name, TestCategory.EndToEnd)]
public class CreateEndToEndTests
{
    private static string ChangeGreet(TestRepo repo, string message = "fix greeting")
    {
        repo.Write("greet.c", CTree.Greet.Replace("return printf(\"hello, %s\\n\", name);", "return printf(\"hello, %s\\n\", name) + 1;") + "\n");
        return repo.Commit(message);
    }

    [Fact]
    public void A_function_body_change_becomes_a_tarball_a_note_and_an_update_ref()
    {
        using var repo = CTree.Create();
        var before = UserState.Capture(repo);
        var commit = ChangeGreet(repo);
        var beforeCreate = UserState.Capture(repo);

        var r = repo.Ksplice("create", "--id", "greet01", commit);

        Assert.True(r.ExitCode == 0, r.All);
        Assert.Equal(beforeCreate, UserState.Capture(repo));
        Assert.NotEqual(before, beforeCreate);

        var tarball = repo.Path("ksplice-greet01.tar.gz");
        var files = UpdateArchive.ReadAll(tarball);
        Assert.Contains("patch", files.Keys);
        Assert.Contains("pre/greet.o", files.Keys);
        Assert.Contains("post/greet.o", files.Keys);
        Assert.DoesNotContain("post/main.o", files.Keys);
        Assert.Contains("+\treturn printf(\"hello, %s\\n\", name) + 1;", System.Text.Encoding.UTF8.GetString(files["patch"]));

        var manifest = UpdateArchive.ReadManifest(tarball);
        Assert.Equal("greet01", manifest.Id.Value);
        Assert.Equal(commit, manifest.Post);
        var greet = Assert.Single(manifest.Objects);
        Assert.Equal("greet.o", greet.Path);
        Assert.Equal(["greet"], greet.Changed);
        Assert.Empty(greet.New);
        Assert.Contains("gcc", manifest.Compiler);
        Assert.Null(manifest.Module); // a plain Makefile tree gets no livepatch module

        Assert.Equal(commit, repo.Git("rev-parse", "refs/ksplice/updates/greet01"));
        var log = repo.Git("log", "-1", "--notes=ksplice", commit);
        Assert.Contains("ksplice-update: greet01", log);
        Assert.Contains("changed: greet.o: greet", log);

        var show = repo.Ksplice("show", "greet01", "--json");
        Assert.Equal(0, show.ExitCode);
        using var doc = JsonDocument.Parse(show.StdOut);
        Assert.Equal("hot-patchable", doc.RootElement.GetProperty("verdict").GetString());
    }

    [Fact]
    public void The_build_runs_as_the_makefile_says_and_the_update_holds_sectioned_copies_of_its_objects()
    {
        using var repo = CTree.Create();
        repo.Write("Makefile", CTree.Makefile.Replace("CFLAGS = -O2 -g", "CFLAGS = -O2 -g -MMD -MF $(@:.o=.dep)") + "\n");
        repo.Commit("dependency files");
        repo.Ksplice("series", "set", "HEAD");
        var commit = ChangeGreet(repo);

        var r = repo.Ksplice("create", "--id", "copies01", commit);

        Assert.True(r.ExitCode == 0, r.All);
        var tree = repo.Path(".git/ksplice/build/tree");
        // The build tree's own objects, linked into prog, are compiled as written: one .text for both functions.
        var built = ElfFile.Open(Path.Combine(tree, "greet.o"));
        Assert.DoesNotContain(built.Sections, s => s.Name.StartsWith(".text.", StringComparison.Ordinal));
        // Its dependency files are the build's own: the sectioned compile beside it writes none.
        Assert.Equal("greet.o: greet.c", File.ReadAllText(Path.Combine(tree, "greet.dep")).Trim());
        Assert.Equal(0, ProcessRunner.Run(tree, Path.Combine(tree, "prog"), []).ExitCode);
        // The update's objects are the copies with a section per function.
        var files = UpdateArchive.ReadAll(repo.Path("ksplice-copies01.tar.gz"));
        foreach (var name in new[] { "pre/greet.o", "post/greet.o" })
        {
            var sections = new ElfFile(files[name], name).Sections.Select(s => s.Name).ToList();
            Assert.Contains(".text.greet", sections);
            Assert.Contains(".text.shout", sections);
        }
        Assert.Equal(["greet"], Assert.Single(UpdateArchive.ReadManifest(repo.Path("ksplice-copies01.tar.gz")).Objects).Changed);
    }

    [Fact]
    public void An_object_that_differs_only_in_its_debug_information_is_left_out_of_the_update()
    {
        using var repo = CTree.Create();
        repo.Write("data.c", "/* the counters */\n\n" + CTree.Data + "\n"); // every line moves down: only .debug_line differs
        var commit = ChangeGreet(repo);

        var r = repo.Ksplice("create", "-v", "--id", "debug01", commit);

        Assert.True(r.ExitCode == 0, r.All);
        Assert.Contains("2 object(s) differ between the pre and post states", r.StdErr);
        var files = UpdateArchive.ReadAll(repo.Path("ksplice-debug01.tar.gz"));
        Assert.Equal(["manifest.json", "patch", "post/greet.o", "pre/greet.o"], files.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("greet.o", Assert.Single(UpdateArchive.ReadManifest(repo.Path("ksplice-debug01.tar.gz")).Objects).Path);
    }

    [Fact]
    public void A_new_function_is_listed_as_new_and_json_output_parses()
    {
        using var repo = CTree.Create();
        repo.Write("greet.c", CTree.Greet + "\nint whisper(const char *name)\n{\n\treturn printf(\"psst %s\\n\", name) + greet(name);\n}\n");
        var commit = repo.Commit("add whisper");

        var r = repo.Ksplice("create", "--id", "new01", "--json", commit);

        Assert.True(r.ExitCode == 0, r.All);
        using var doc = JsonDocument.Parse(r.StdOut);
        var obj = Assert.Single(doc.RootElement.GetProperty("objects").EnumerateArray());
        Assert.Equal("greet.o", obj.GetProperty("path").GetString());
        Assert.Contains("whisper", obj.GetProperty("new").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(repo.Path("ksplice-new01.tar.gz"), doc.RootElement.GetProperty("tarball").GetString());
    }

    [Fact]
    public void A_change_without_object_code_change_exits_3_and_writes_nothing()
    {
        using var repo = CTree.Create();
        repo.Write("greet.c", "/* a comment only */\n" + CTree.Greet + "\n");
        var commit = repo.Commit("comment");

        var r = repo.Ksplice("create", "--id", "noop01", commit);

        Assert.Equal(3, r.ExitCode);
        Assert.Contains("no object code changed", r.StdErr);
        Assert.False(File.Exists(repo.Path("ksplice-noop01.tar.gz")));
        Assert.NotEqual(0, repo.TryGit("rev-parse", "--verify", "-q", "refs/ksplice/updates/noop01").ExitCode);
        Assert.NotEqual(0, repo.TryGit("rev-parse", "--verify", "-q", "refs/notes/ksplice").ExitCode);
    }

    [Fact]
    public void Without_a_pre_ref_create_marks_head_and_explains_when_nothing_is_left_to_build()
    {
        using var repo = CTree.Create(markPre: false);
        var head = repo.Git("rev-parse", "HEAD");

        var r = repo.Ksplice("create", "HEAD");

        Assert.Equal(3, r.ExitCode);
        Assert.Equal(head, repo.Git("rev-parse", "refs/ksplice/pre"));
        Assert.Contains("created it from HEAD", r.StdErr);
        Assert.Contains("git ksplice series set", r.StdErr);
    }

    [Fact]
    public void An_unknown_commit_is_one_fatal_line()
    {
        using var repo = CTree.Create();
        var r = repo.Ksplice("create", "no-such-commit");
        Assert.Equal(1, r.ExitCode);
        Assert.Equal("fatal: unknown commit: 'no-such-commit'", r.StdErr.Trim());
    }

    [Fact]
    public void Outside_a_repository_is_one_fatal_line()
    {
        using var dir = new TempDir();
        var r = ProcessRunner.Run(dir.Path, "git", ["ksplice", "create", "HEAD"]);
        Assert.NotEqual(0, r.ExitCode);
        Assert.StartsWith("fatal:", r.StdErr.Trim());
        Assert.Single(r.StdErr.Trim().Split('\n'));
    }

    [Fact]
    public void A_failed_build_names_its_log_and_records_nothing()
    {
        using var repo = CTree.Create();
        repo.Write("greet.c", CTree.Greet.Replace("return printf", "return syntax error printf") + "\n");
        var commit = repo.Commit("break the build");

        var r = repo.Ksplice("create", "--id", "broken1", commit);

        Assert.Equal(1, r.ExitCode);
        var fatal = r.StdErr.Split('\n').Single(l => l.StartsWith("fatal:"));
        Assert.Contains("build of the post state failed", fatal);
        var logPath = fatal[(fatal.IndexOf("log: ", StringComparison.Ordinal) + 5)..].Trim();
        Assert.Contains("error", File.ReadAllText(logPath));
        Assert.False(File.Exists(repo.Path("ksplice-broken1.tar.gz")));
        Assert.NotEqual(0, repo.TryGit("rev-parse", "--verify", "-q", "refs/ksplice/updates/broken1").ExitCode);
    }

    [Fact]
    public void A_sectioned_copy_that_cannot_be_written_fails_the_build_instead_of_hiding_the_change()
    {
        using var repo = CTree.Create();
        Assert.Equal(0, repo.Ksplice("create", "--prebuild").ExitCode);
        var copies = repo.Path(".git/ksplice/build/tree.objects");
        Directory.Delete(copies, recursive: true);
        File.WriteAllText(copies, "in the way\n"); // no directory can be made for the copies
        var commit = ChangeGreet(repo);

        var r = repo.Ksplice("create", "--id", "nocopy1", commit);

        Assert.Equal(1, r.ExitCode);
        var fatal = r.StdErr.Split('\n').Single(l => l.StartsWith("fatal:"));
        Assert.Contains("build of the post state failed", fatal);
        Assert.Contains("tree.objects/greet.o", File.ReadAllText(fatal[(fatal.IndexOf("log: ", StringComparison.Ordinal) + 5)..].Trim()));
        Assert.False(File.Exists(repo.Path("ksplice-nocopy1.tar.gz")));
        Assert.NotEqual(0, repo.TryGit("rev-parse", "--verify", "-q", "refs/ksplice/updates/nocopy1").ExitCode);
    }

    [Fact]
    public void The_same_change_and_id_give_a_byte_identical_tarball()
    {
        using var repo = CTree.Create();
        var commit = ChangeGreet(repo);
        Assert.Equal(0, repo.Ksplice("create", "--id", "same01", commit).ExitCode);
        var first = File.ReadAllBytes(repo.Path("ksplice-same01.tar.gz"));
        File.Delete(repo.Path("ksplice-same01.tar.gz"));

        var again = repo.Ksplice("create", "--id", "same01", commit);

        Assert.True(again.ExitCode == 0, again.All);
        Assert.Equal(first, File.ReadAllBytes(repo.Path("ksplice-same01.tar.gz")));
    }

    [Fact]
    public void After_a_prebuild_create_recompiles_only_what_the_change_touches()
    {
        using var repo = CTree.Create(markPre: false);
        var pre = repo.Ksplice("create", "--prebuild");
        Assert.True(pre.ExitCode == 0, pre.All);
        Assert.Equal(repo.Git("rev-parse", "HEAD"), repo.Git("rev-parse", "refs/ksplice/pre"));
        var commit = ChangeGreet(repo);

        var r = repo.Ksplice("create", "--id", "incr01", commit);

        Assert.True(r.ExitCode == 0, r.All);
        var log = File.ReadAllText(Path.Combine(repo.Path(".git/ksplice/logs"), "post-incr01.log"));
        Assert.Contains("greet.c", log);
        Assert.DoesNotContain("main.c", log);
        Assert.DoesNotContain("data.c", log);
    }

    [Fact]
    public void A_patch_file_is_applied_on_top_of_pre()
    {
        using var repo = CTree.Create();
        repo.Write("greet.c", CTree.Greet.Replace("return printf(\"HELLO", "return 2 * printf(\"HELLO") + "\n");
        var diff = repo.Git("diff");
        repo.Git("checkout", "--", "greet.c");
        using var scratch = new TempDir();
        var patchFile = scratch.Write("fix.patch", diff + "\n");
        var before = UserState.Capture(repo);

        var r = repo.Ksplice("create", "--id", "patch01", "--patch", patchFile);

        Assert.True(r.ExitCode == 0, r.All);
        Assert.Equal(before, UserState.Capture(repo));
        var manifest = UpdateArchive.ReadManifest(repo.Path("ksplice-patch01.tar.gz"));
        Assert.Equal(["shout"], Assert.Single(manifest.Objects).Changed);
        Assert.Equal(repo.Git("rev-parse", "refs/ksplice/pre"), repo.Git("rev-parse", "refs/ksplice/updates/patch01^"));
    }

    [Fact]
    public void A_patch_that_does_not_apply_changes_nothing()
    {
        using var repo = CTree.Create();
        using var scratch = new TempDir();
        var patchFile = scratch.Write("bad.patch", "--- a/greet.c\n+++ b/greet.c\n@@ -1,3 +1,3 @@\n-no such line\n+other line\n context\n");
        var r = repo.Ksplice("create", "--id", "bad01", "--patch", patchFile);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("fatal: patch does not apply: " + patchFile, r.StdErr);
        Assert.False(File.Exists(repo.Path("ksplice-bad01.tar.gz")));

        var empty = scratch.Write("empty.patch", "");
        Assert.Contains("patch file is empty", repo.Ksplice("create", "--patch", empty).StdErr);
    }

    [Fact]
    public void Diffext_takes_the_change_from_sibling_files()
    {
        using var repo = CTree.Create();
        repo.Write("greet.c.fixed", CTree.Greet.Replace("return printf(\"hello, %s\\n\", name);", "return printf(\"hello, %s\\n\", name) - 1;") + "\n");
        var before = UserState.Capture(repo);

        var r = repo.Ksplice("create", "--id", "ext01", "--diffext", ".fixed");

        Assert.True(r.ExitCode == 0, r.All);
        Assert.Equal(before, UserState.Capture(repo));
        var files = UpdateArchive.ReadAll(repo.Path("ksplice-ext01.tar.gz"));
        var patch = System.Text.Encoding.UTF8.GetString(files["patch"]);
        Assert.Contains("-\treturn printf(\"hello, %s\\n\", name);", patch);
        Assert.Contains("+\treturn printf(\"hello, %s\\n\", name) - 1;", patch);
        Assert.Equal(["greet"], Assert.Single(UpdateArchive.ReadManifest(repo.Path("ksplice-ext01.tar.gz")).Objects).Changed);

        var none = repo.Ksplice("create", "--diffext", ".nothing");
        Assert.Equal(1, none.ExitCode);
        Assert.Contains("no tracked file has a sibling ending in '.nothing'", none.StdErr);
    }

    [Fact]
    public void A_range_not_starting_at_pre_is_applied_on_top_of_pre_and_says_so()
    {
        using var repo = CTree.Create();
        repo.Write("main.c", CTree.Main.Replace("> 100", "> 200") + "\n");
        var a = repo.Commit("unrelated change");
        var b = ChangeGreet(repo);

        var r = repo.Ksplice("create", "--id", "range01", $"{a}..{b}");

        Assert.True(r.ExitCode == 0, r.All);
        Assert.Contains("is not refs/ksplice/pre", r.StdErr);
        var manifest = UpdateArchive.ReadManifest(repo.Path("ksplice-range01.tar.gz"));
        Assert.Equal("greet.o", Assert.Single(manifest.Objects).Path);
    }

    [Fact]
    public void Series_moves_pre_to_the_post_state_and_logs_why()
    {
        using var repo = CTree.Create();
        var first = ChangeGreet(repo);
        var r = repo.Ksplice("create", "--series", "--id", "ser01", first);
        Assert.True(r.ExitCode == 0, r.All);
        Assert.Equal(first, repo.Git("rev-parse", "refs/ksplice/pre"));

        repo.Write("data.c", CTree.Data.Replace("return ++counter;", "return counter += 2;") + "\n");
        var second = repo.Commit("bump by two");
        var r2 = repo.Ksplice("create", "--series", "--id", "ser02", second);
        Assert.True(r2.ExitCode == 0, r2.All);
        var manifest = UpdateArchive.ReadManifest(repo.Path("ksplice-ser02.tar.gz"));
        Assert.Equal(first, manifest.Pre);
        Assert.Equal(["bump"], Assert.Single(manifest.Objects).Changed);
        // The tree was already built at the new pre state (ser01's post state): no second build of it.
        Assert.False(File.Exists(repo.Path($".git/ksplice/logs/pre-{first[..12]}.log")), "the pre state was rebuilt");
        Assert.True(File.Exists(repo.Path(".git/ksplice/logs/post-ser02.log")));

        var log = repo.Ksplice("series", "log").StdOut;
        Assert.Contains("series: update ser02", log);
        Assert.Contains("series: update ser01", log);
        Assert.Contains("series set HEAD", log);

        var list = repo.Ksplice("list", "--json");
        using var doc = JsonDocument.Parse(list.StdOut);
        Assert.Equal(["ser01", "ser02"], doc.RootElement.EnumerateArray().Select(e => e.GetProperty("id").GetString()));
    }

    [Fact]
    public void Build_modules_packages_the_new_module()
    {
        using var repo = CTree.Create();
        repo.Write("mod.c", CTree.Mod.Replace("x * 3", "x * 4") + "\n");
        var commit = repo.Commit("module change");

        var r = repo.Ksplice("create", "--id", "mod01", "--build-modules", commit);

        Assert.True(r.ExitCode == 0, r.All);
        var files = UpdateArchive.ReadAll(repo.Path("ksplice-mod01.tar.gz"));
        Assert.Contains("modules/mod.ko", files.Keys);
        Assert.Equal("mod.ko", Assert.Single(UpdateArchive.ReadManifest(repo.Path("ksplice-mod01.tar.gz")).Modules).Path);
    }

    [Fact]
    public void Prebuild_with_series_only_moves_pre_to_head()
    {
        using var repo = CTree.Create();
        var head = ChangeGreet(repo);

        var r = repo.Ksplice("create", "--prebuild", "--series");

        Assert.True(r.ExitCode == 0, r.All);
        Assert.Equal(head, repo.Git("rev-parse", "refs/ksplice/pre"));
        Assert.False(Directory.Exists(repo.Path(".git/ksplice/build/tree")));
    }

    [Fact]
    public void The_running_kernels_config_is_copied_into_the_build_tree()
    {
        using var repo = CTree.Create();
        repo.Write("ksplice/.config", "CONFIG_TEST=y\n");
        repo.Write("ksplice/System.map", "ffffffff81000000 T _text\n");
        var commit = ChangeGreet(repo);

        var r = repo.Ksplice("create", "--id", "cfg01", commit);

        Assert.True(r.ExitCode == 0, r.All);
        Assert.Equal("CONFIG_TEST=y\n", File.ReadAllText(repo.Path(".git/ksplice/build/tree/.config")));
        Assert.True(File.Exists(repo.Path(".git/ksplice/build/tree/System.map")));

        var missing = repo.Ksplice("create", "--config", repo.Path("no-such-dir"), commit);
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("configuration directory does not exist", missing.StdErr);
    }

    [Fact]
    public void An_id_already_used_by_another_update_is_refused()
    {
        using var repo = CTree.Create();
        var first = ChangeGreet(repo);
        Assert.Equal(0, repo.Ksplice("create", "--id", "dup01", first).ExitCode);
        repo.Write("mod.c", CTree.Mod.Replace("x * 3", "x * 5") + "\n");
        var second = repo.Commit("another change");
        File.Delete(repo.Path("ksplice-dup01.tar.gz"));

        var r = repo.Ksplice("create", "--id", "dup01", second);

        Assert.Equal(1, r.ExitCode);
        Assert.Contains("update id 'dup01' is already used", r.StdErr);
        Assert.False(File.Exists(repo.Path("ksplice-dup01.tar.gz")));
        Assert.Equal(first, repo.Git("rev-parse", "refs/ksplice/updates/dup01"));
    }

    [Fact]
    public void A_data_change_is_refused_as_unsafe_unless_forced_and_then_recorded()
    {
        using var repo = CTree.Create();
        repo.Write("data.c", CTree.Data.Replace("{ 1, 2, 3, 4 }", "{ 1, 2, 3, 5 }") + "\n");
        var commit = repo.Commit("change initial data");

        var refused = repo.Ksplice("create", "--id", "data01", commit);

        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("limits", refused.StdErr);
        Assert.Contains("use --force", refused.StdErr);
        Assert.False(File.Exists(repo.Path("ksplice-data01.tar.gz")));
        Assert.NotEqual(0, repo.TryGit("rev-parse", "--verify", "-q", "refs/ksplice/updates/data01").ExitCode);

        var forced = repo.Ksplice("create", "--id", "data01", "--force", commit);

        Assert.True(forced.ExitCode == 0, forced.All);
        var manifest = UpdateArchive.ReadManifest(repo.Path("ksplice-data01.tar.gz"));
        Assert.True(manifest.Forced);
        Assert.Contains(manifest.Objects.SelectMany(o => o.Unsafe), u => u.Symbol == "limits");
        var note = repo.Git("log", "-1", "--notes=ksplice", commit);
        Assert.Contains("verdict: unsafe (forced)", note);
        Assert.Contains("unsafe: data.o: limits", note);
    }

    [Fact]
    public void Prebuild_reverts_the_build_tree_to_the_original_source_after_an_update()
    {
        using var repo = CTree.Create();
        var commit = ChangeGreet(repo);
        Assert.Equal(0, repo.Ksplice("create", "--id", "rev01", commit).ExitCode);
        Assert.Contains("+ 1;", File.ReadAllText(repo.Path(".git/ksplice/build/tree/greet.c")));

        var r = repo.Ksplice("create", "--prebuild");

        Assert.True(r.ExitCode == 0, r.All);
        Assert.Equal(CTree.Greet + "\n", File.ReadAllText(repo.Path(".git/ksplice/build/tree/greet.c")));
    }

    [Fact]
    public void A_linked_worktree_builds_with_the_repositorys_settings_under_the_common_git_dir()
    {
        using var repo = CTree.Create();
        repo.Git("config", "ksplice.buildCommand", "make && echo custom-build-ran");
        using var scratch = new TempDir();
        var worktree = Path.Combine(scratch.Path, "wt");
        repo.Git("worktree", "add", "-q", "-b", "fix", worktree);
        File.WriteAllText(Path.Combine(worktree, "greet.c"), CTree.Greet.Replace("return printf(\"HELLO", "return 4 * printf(\"HELLO") + "\n");
        ProcessRunner.Run(worktree, "git", ["commit", "-qam", "fix in a worktree"]);

        var r = ProcessRunner.Run(worktree, "git", ["ksplice", "create", "--id", "wt01", "HEAD"]);

        Assert.True(r.ExitCode == 0, r.All);
        Assert.Contains("custom-build-ran", File.ReadAllText(repo.Path(".git/ksplice/logs/post-wt01.log")));
        Assert.True(File.Exists(Path.Combine(worktree, "ksplice-wt01.tar.gz")));
        Assert.Equal(repo.Git("rev-parse", "fix"), repo.Git("rev-parse", "refs/ksplice/updates/wt01"));
    }

    [Fact]
    public void A_new_source_file_is_a_new_object_with_new_functions()
    {
        using var repo = CTree.Create();
        repo.Write("extra.c", "int extra_value(int x)\n{\n\treturn x * 7;\n}\n");
        repo.Write("Makefile", CTree.Makefile.Replace("OBJS = main.o greet.o data.o", "OBJS = main.o greet.o data.o extra.o") + "\n");
        var commit = repo.Commit("add extra.c");

        var r = repo.Ksplice("create", "--id", "newobj1", commit);

        Assert.True(r.ExitCode == 0, r.All);
        var extra = Assert.Single(UpdateArchive.ReadManifest(repo.Path("ksplice-newobj1.tar.gz")).Objects);
        Assert.Equal("extra.o", extra.Path);
        Assert.Null(extra.PreSha256);
        Assert.Equal(["extra_value"], extra.New);
    }
}
