using GitKsplice.Build;
using GitKsplice.Tests.Support;
using GitKsplice.Updates;

namespace GitKsplice.Tests.Build;

/// <summary>
/// A warm create on a Kbuild tree builds only the objects the change touches, read from the .&lt;name&gt;.o.cmd
/// records Kbuild writes (issue 17). This tree is a handmade miniature that writes those records the way Kbuild
/// does (source, then dependencies one a line): a fast test of the reading and the fallback, not a substitute for
/// the Linux tree's tests.
/// </summary>
[Trait(TestCategory.Name, TestCategory.EndToEnd)]
public class KbuildTargetsTests
{
    private const string Makefile = """
        # A Kbuild-like tree (KBUILD_): every object's record in .<object>.cmd, as Kbuild writes it.
        OBJS = greet.o data.o main.o
        vmlinux: $(OBJS)
        	@echo "LINK vmlinux"
        	$(CC) -o $@ $(OBJS)
        %.o: %.c
        	$(CC) -O2 $(KCFLAGS) -Wp,-MMD,.$@.d -c -o $@ $<
        	@{ printf 'cmd_%s := %s\n\nsource_%s := %s\n\ndeps_%s := \\\n' $@ '$(CC)' $@ $< $@; \
        	  sed -e '1s/^[^:]*: *//' -e 's/ *\\$$//' .$@.d | tr ' ' '\n' | grep -v '^$$' | grep -vx '$<' | \
        	  sed -e 's/^/  /' -e 's/$$/ \\/'; printf '\n%s: $$(deps_%s)\n' $@ $@; } > .$@.cmd
        -include $(wildcard .*.o.d)
        """;

    private const string Header = "#define GREETING \"hello, %s\\n\"\nint greet(const char *name);\n";

    private const string Greet = "#include <stdio.h>\n#include \"greet.h\"\n\nint greet(const char *name)\n{\n\treturn printf(GREETING, name);\n}\n";

    private const string Main = "#include <stdio.h>\n#include \"greet.h\"\nint bump(void);\n\nint main(void)\n{\n\tprintf(GREETING, \"main\");\n\treturn greet(\"world\") + bump() > 100;\n}\n";

    private static string Log(TestRepo repo, string id) => File.ReadAllText(repo.Path($".git/ksplice/logs/post-{id}.log"));

    private static string Objects(TestRepo repo, string id) => string.Join("\n",
        UpdateArchive.ReadManifest(repo.Path($"ksplice-{id}.tar.gz")).Objects.Select(o =>
            $"{o.Path} {o.PreSha256} {o.PostSha256} changed[{string.Join(',', o.Changed)}]"));

    private static RunResult Create(TestRepo repo, string id, string commit)
    {
        var r = repo.Ksplice("create", "-v", "--id", id, commit);
        Assert.True(r.ExitCode == 0, r.All);
        return r;
    }

    /// <summary>The miniature committed, marked as the running kernel's source and prebuilt.</summary>
    private static TestRepo PrebuiltTree()
    {
        var repo = new TestRepo();
        repo.Write("Makefile", Makefile.Replace("\r", "") + "\n");
        repo.Write("greet.h", Header);
        repo.Write("greet.c", Greet);
        repo.Write("data.c", CTree.Data + "\n");
        repo.Write("main.c", Main);
        repo.Write(".gitignore", "*.o\n.*.cmd\n.*.d\nvmlinux\n*.tar.gz\n*.patch\n");
        repo.Commit("a kbuild-like tree");
        Assert.Equal(0, repo.Ksplice("series", "set", "HEAD").ExitCode);
        Assert.Equal(0, repo.Ksplice("create", "--prebuild").ExitCode);
        return repo;
    }

    /// <summary>The same update from an empty build directory: the full build of pre and post.</summary>
    private static string Clean(TestRepo repo, string id, string commit)
    {
        Directory.Delete(repo.Path(".git/ksplice/build"), recursive: true);
        Create(repo, id, commit);
        return Objects(repo, id);
    }

    [Fact]
    public void A_warm_create_compiles_only_the_touched_objects_a_header_those_that_include_it_and_a_makefile_change_builds_it_all()
    {
        using var repo = PrebuiltTree();
        Assert.Contains("source_greet.o := greet.c", File.ReadAllText(repo.Path(".git/ksplice/build/tree/.greet.o.cmd")));

        repo.Write("data.c", CTree.Data.Replace("return ++counter;", "return counter += 2;") + "\n");
        // ORIG_CONFIG committed with the change: the running kernel's files, which make never reads.
        repo.Write("ksplice/README", "the running kernel's .config and System.map go here\n");
        var data = repo.Commit("bump by two");
        var r = Create(repo, "data1", data);
        Assert.Contains("building the 1 object(s) the change touches: data.o", r.StdErr);
        Assert.Contains("-c -o data.o data.c", Log(repo, "data1"));
        Assert.DoesNotContain("greet.c", Log(repo, "data1"));
        Assert.DoesNotContain("LINK vmlinux", Log(repo, "data1"));
        Assert.StartsWith("data.o ", Objects(repo, "data1"));
        Assert.Contains("changed[bump]", Objects(repo, "data1"));

        repo.Write("greet.h", Header.Replace("hello", "hi"));
        var header = repo.Commit("greet says hi");
        r = Create(repo, "header1", header);
        Assert.Contains("building the 2 object(s) the change touches: greet.o main.o", r.StdErr);
        Assert.DoesNotContain("data.c", Log(repo, "header1"));
        Assert.DoesNotContain("LINK vmlinux", Log(repo, "header1"));
        var touched = Objects(repo, "header1");
        Assert.Contains("greet.o ", touched);
        Assert.Contains("main.o ", touched);
        Assert.Contains("data.o ", touched); // still changed against the pre state

        repo.Write("Makefile", Makefile.Replace("\r", "").Replace("-O2", "-O2 -DEXTRA") + "\n");
        var makefile = repo.Commit("a flag in the Makefile");
        r = Create(repo, "make1", makefile);
        Assert.Contains("building the whole tree incrementally: Makefile is not a C, assembler or header file", r.StdErr);
        Assert.Contains("LINK vmlinux", Log(repo, "make1"));

        Assert.Equal(touched.Replace("header1", ""), Clean(repo, "header2", header));
        Assert.Equal(Objects(repo, "make1"), Clean(repo, "make2", makefile));
    }

    /// <summary>
    /// A --patch create moves the tree to the pre source before it applies the patch: the objects the tree holds
    /// are still those of the last build, so the targets are what differs from that build, not the whole tree.
    /// A build that fails in between makes the next one full again (its objects are of no one state).
    /// </summary>
    [Fact]
    public void A_patch_create_after_a_commit_create_compiles_only_what_differs_from_the_last_build()
    {
        using var repo = PrebuiltTree();
        repo.Write("data.c", CTree.Data.Replace("return ++counter;", "return counter += 2;") + "\n");
        Create(repo, "data1", repo.Commit("bump by two"));

        File.WriteAllText(repo.Path("greet.patch"),
            "--- a/greet.c\n+++ b/greet.c\n@@ -5,3 +5,3 @@\n {\n-\treturn printf(GREETING, name);\n+\treturn printf(GREETING, name) + 1;\n }\n");
        var r = repo.Ksplice("create", "-v", "--id", "patch1", "--patch", "greet.patch");
        Assert.True(r.ExitCode == 0, r.All);
        // data.o goes back to the pre source, greet.o takes the patch; main.o is left alone.
        Assert.Contains("building the 2 object(s) the change touches: data.o greet.o", r.StdErr);
        Assert.DoesNotContain("main.c", Log(repo, "patch1"));
        Assert.DoesNotContain("LINK vmlinux", Log(repo, "patch1"));
        var patched = Objects(repo, "patch1");
        Assert.StartsWith("greet.o ", patched);
        Assert.DoesNotContain("data.o", patched);

        // The same patch from an empty build directory builds the same objects.
        Directory.Delete(repo.Path(".git/ksplice/build"), recursive: true);
        r = repo.Ksplice("create", "--id", "patch2", "--patch", "greet.patch");
        Assert.True(r.ExitCode == 0, r.All);
        Assert.Equal(patched, Objects(repo, "patch2"));

        // A post build that fails leaves objects of no one state: the next create builds the whole tree.
        File.WriteAllText(repo.Path("broken.patch"),
            "--- a/greet.c\n+++ b/greet.c\n@@ -5,3 +5,3 @@\n {\n-\treturn printf(GREETING, name);\n+\treturn printf(GREETING, name) +;\n }\n");
        Assert.Equal(1, repo.Ksplice("create", "--id", "broken1", "--patch", "broken.patch").ExitCode);
        r = repo.Ksplice("create", "-v", "--id", "patch3", "--patch", "greet.patch");
        Assert.True(r.ExitCode == 0, r.All);
        Assert.DoesNotContain("object(s) the change touches", r.StdErr);
        Assert.Equal(patched, Objects(repo, "patch3"));
    }

    [Fact]
    public void A_header_that_a_generated_file_is_made_from_needs_the_full_build()
    {
        using var tree = new TempDir();
        // As a kernel tree's records look: relative and absolute paths, configuration entries, a generated asm-offsets.s.
        tree.Write("fs/proc/meminfo.c", "");
        tree.Write("fs/proc/.meminfo.o.cmd", "cmd_fs/proc/meminfo.o := gcc -c\n\nsource_fs/proc/meminfo.o := fs/proc/meminfo.c\n\n" +
            $"deps_fs/proc/meminfo.o := \\\n    $(wildcard include/config/CMA) \\\n  include/linux/mm.h \\\n  {tree.Path}/include/linux/seq_file.h \\\n\n" +
            "fs/proc/meminfo.o: $(deps_fs/proc/meminfo.o)\n\n$(deps_fs/proc/meminfo.o):\n");
        tree.Write("arch/x86/kernel/asm-offsets.c", "");
        tree.Write("arch/x86/kernel/.asm-offsets.s.cmd", "cmd_arch/x86/kernel/asm-offsets.s := gcc -S\n\nsource_arch/x86/kernel/asm-offsets.s := " +
            $"{tree.Path}/arch/x86/kernel/asm-offsets.c\n\ndeps_arch/x86/kernel/asm-offsets.s := \\\n  include/linux/mm.h \\\n\n");
        tree.Write(".vmlinux.o.cmd", "cmd_vmlinux.o := ld -r\n");

        Assert.Equal(["fs/proc/meminfo.o"], KbuildTargets.For(tree.Path, [("include/linux/seq_file.h", true)], "make vmlinux").Objects);
        Assert.Equal(["fs/proc/meminfo.o"], KbuildTargets.For(tree.Path, [("fs/proc/meminfo.c", true)], "make -j8 vmlinux").Objects);
        Assert.Equal("make -j8 fs/proc/meminfo.o", KbuildTargets.For(tree.Path, [("fs/proc/meminfo.c", true)], "make -j8 vmlinux").Command("make -j8 vmlinux"));
        Assert.Equal("arch/x86/kernel/asm-offsets.s is made from include/linux/mm.h",
            KbuildTargets.For(tree.Path, [("include/linux/mm.h", true)], "make").FullBuildReason);
        Assert.Equal("fs/proc/new.c is compiled into no object of the last build",
            KbuildTargets.For(tree.Path, [("fs/proc/new.c", true)], "make").FullBuildReason);
        Assert.Equal("fs/proc/Makefile is not a C, assembler or header file",
            KbuildTargets.For(tree.Path, [("fs/proc/meminfo.c", true), ("fs/proc/Makefile", true)], "make").FullBuildReason);
        Assert.Equal("fs/proc/meminfo.c is removed", KbuildTargets.For(tree.Path, [("fs/proc/meminfo.c", false)], "make").FullBuildReason);
        Assert.Equal("the build command 'make O=/tmp/out' is not a plain make",
            KbuildTargets.For(tree.Path, [("fs/proc/meminfo.c", true)], "make O=/tmp/out").FullBuildReason);
    }
}
