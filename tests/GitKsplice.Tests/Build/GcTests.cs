using System.Text.Json;
using GitKsplice.Tests.Support;

namespace GitKsplice.Tests.Build;

/// <summary>git ksplice gc removes stale state under the git dir, and only that; status reports the disk it uses.</summary>
[Trait(TestCategory.Name, TestCategory.EndToEnd)]
public class GcTests
{
    private sealed class StateRepo : IDisposable
    {
        public TestRepo Repo { get; } = new();
        public string State => Repo.Path(".git/ksplice");
        public string Pre { get; }
        public string Post { get; }

        public StateRepo()
        {
            Repo.Write("a.c", "int a(void) { return 1; }\n");
            Pre = Repo.Commit("one");
            Repo.Write("a.c", "int a(void) { return 2; }\n");
            Post = Repo.Commit("two");
            Repo.Git("update-ref", "refs/ksplice/pre", Pre);
            Repo.Git("update-ref", "refs/ksplice/updates/old", Post);
            Repo.Git("update-ref", "refs/ksplice/updates/recent", Post);
            Repo.Git("notes", "--ref", "ksplice", "add", "-m", "ksplice-update: old\npre: " + Pre + "\npost: " + Post + "\nverdict: hot-patchable", Post);
        }

        public string Write(string relative, int kib, int daysOld)
        {
            var path = Path.Combine(State, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, new byte[kib * 1024]);
            Age(path, daysOld);
            return path;
        }

        public void Age(string path, int daysOld)
        {
            var when = DateTime.UtcNow.AddDays(-daysOld);
            if (Directory.Exists(path)) Directory.SetLastWriteTimeUtc(path, when);
            else File.SetLastWriteTimeUtc(path, when);
        }

        public string TreeState(string sourceTree) =>
            $"{{\"SourceTree\":\"{sourceTree}\",\"BuildKey\":\"k\",\"ConfigHash\":\"c\",\"Built\":true}}";

        /// <summary>Everything under the state dir but the build lock (gc takes it), relative, sorted.</summary>
        public List<string> Files() => Directory.EnumerateFiles(State, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(State, f)).Where(f => !f.StartsWith("build.lock", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal).ToList();

        public string Recorded() => Repo.Git("for-each-ref") + "\n" + Repo.Git("notes", "--ref", "ksplice", "list") +
            "\n" + Repo.Git("log", "-g", "--format=%H", "refs/ksplice/pre");

        public void Dispose() => Repo.Dispose();
    }

    /// <summary>Stale and fresh state of every kind: 60-day-old build trees, logs, manifests and hook runs, and fresh ones.</summary>
    private static StateRepo Populate()
    {
        var s = new StateRepo();
        var preTree = s.Repo.Git("rev-parse", s.Pre + "^{tree}");
        // The snapshot of the current pre's outputs: kept however old. The build tree: stale.
        s.Write("build/pre-outputs/a.o", 64, 60);
        File.WriteAllText(Path.Combine(s.State, "build/pre-outputs.state"), s.TreeState(preTree));
        s.Age(Path.Combine(s.State, "build/pre-outputs.state"), 60);
        s.Age(Path.Combine(s.State, "build/pre-outputs"), 60);
        s.Write("build/tree/a.o", 64, 60);
        File.WriteAllText(Path.Combine(s.State, "build/tree.state"), s.TreeState(s.Repo.Git("rev-parse", s.Post + "^{tree}")));
        s.Age(Path.Combine(s.State, "build/tree.state"), 60);
        s.Write("build/tree.index", 1, 60);
        s.Age(Path.Combine(s.State, "build/tree"), 60);
        s.Write("build/tree.objects/a.o", 64, 60); // the sectioned copies of its objects: they go with it
        s.Age(Path.Combine(s.State, "build/tree.objects"), 60);
        s.Write("build/half/a.c", 8, 0); // a tree whose setup never finished: no state file
        s.Write("logs/pre-aaaa.log", 4, 60);
        s.Write("logs/post-recent.log", 4, 1);
        s.Write("updates/old/manifest.json", 2, 60);
        s.Write("updates/recent/manifest.json", 2, 1);
        s.Write("updates/forgotten/manifest.json", 2, 1); // no ref of this id any more
        s.Write($"hook/{s.Post}/log", 4, 60);
        s.Write($"hook/{s.Pre}/log", 4, 1);
        s.Write("hook/queue.json", 1, 60);
        return s;
    }

    [Fact]
    public void Dry_run_lists_what_would_go_and_removes_nothing()
    {
        using var s = Populate();
        var before = s.Files();

        var r = s.Repo.Ksplice("gc", "--dry-run", "--json", "--max-age", "30.days");

        Assert.Equal(0, r.ExitCode);
        Assert.Equal(before, s.Files());
        using var json = JsonDocument.Parse(r.StdOut);
        Assert.True(json.RootElement.GetProperty("dryRun").GetBoolean());
        var removed = json.RootElement.GetProperty("removed").EnumerateArray()
            .Select(e => e.GetProperty("kind").GetString() + " " + Path.GetRelativePath(s.State, e.GetProperty("path").GetString()!)).ToList();
        Assert.Equal(new[]
        {
            "build-tree build/half", "build-tree build/tree", $"hook-run hook/{s.Post}", "log logs/pre-aaaa.log",
            "update updates/forgotten", "update updates/old",
        }, removed);
        Assert.True(json.RootElement.GetProperty("freedBytes").GetInt64() >= (64 + 8 + 4 + 4 + 2 + 2) * 1024);
        Assert.Contains(json.RootElement.GetProperty("skipped").EnumerateArray(), e => e.GetString()!.StartsWith("build/pre-outputs: the outputs of the current"));
    }

    [Fact]
    public void Gc_removes_only_stale_state_and_never_the_recorded_updates()
    {
        using var s = Populate();
        var recorded = s.Recorded();

        var r = s.Repo.Ksplice("gc", "--max-age", "30.days");

        Assert.Equal(0, r.ExitCode);
        Assert.Contains("removed build-tree build/tree", r.StdOut);
        Assert.Contains("recorded updates (refs and notes) are kept", r.StdOut);
        Assert.Equal(new[]
        {
            "build/pre-outputs.state", "build/pre-outputs/a.o",
            $"hook/{s.Pre}/log", "hook/queue.json", "logs/post-recent.log", "updates/recent/manifest.json",
        }.Order(StringComparer.Ordinal), s.Files());
        Assert.Equal(recorded, s.Recorded());
        // show still describes the update from its note once its manifest is gone.
        var show = s.Repo.Ksplice("show", "old");
        Assert.Equal(0, show.ExitCode);
        Assert.Contains("verdict:     hot-patchable", show.StdOut);
    }

    [Fact]
    public void The_max_age_comes_from_git_config_and_the_command_line_wins()
    {
        using var s = Populate();
        s.Repo.Git("config", "ksplice.gc.maxAge", "90.days");
        var fromConfig = s.Repo.Ksplice("gc", "--dry-run");
        Assert.Equal(0, fromConfig.ExitCode);
        Assert.DoesNotContain("logs/pre-aaaa.log", fromConfig.StdOut); // 60 days < 90
        Assert.Contains("would remove update updates/forgotten", fromConfig.StdOut);

        var fromOption = s.Repo.Ksplice("gc", "--dry-run", "--max-age", "2.weeks.ago");
        Assert.Contains("would remove log logs/pre-aaaa.log", fromOption.StdOut);

        var never = s.Repo.Ksplice("gc", "--dry-run", "--max-age", "never");
        Assert.Contains("would remove build-tree build/half", never.StdOut); // incomplete trees only
        Assert.DoesNotContain("updates/", never.StdOut);
    }

    [Fact]
    public void A_linked_worktree_reads_the_max_age_from_the_repositorys_config()
    {
        using var s = Populate();
        s.Repo.Git("config", "ksplice.gc.maxAge", "90.days");
        using var scratch = new TempDir();
        var worktree = Path.Combine(scratch.Path, "wt");
        s.Repo.Git("worktree", "add", "-q", "--detach", worktree);

        var r = ProcessRunner.Run(worktree, "git", ["ksplice", "gc", "--dry-run"]);

        Assert.True(r.ExitCode == 0, r.All);
        Assert.DoesNotContain("logs/pre-aaaa.log", r.StdOut); // 60 days < 90: the common config's age applies
        Assert.Contains("would remove update updates/forgotten", r.StdOut);
    }

    [Fact]
    public void A_bad_age_is_one_clear_error()
    {
        using var s = Populate();
        var before = s.Files();
        var r = s.Repo.Ksplice("gc", "--max-age", "soon");
        Assert.Equal(129, r.ExitCode);
        Assert.Equal("fatal: bad age 'soon': use e.g. 30.days, 2.weeks, 12.hours, now or never", r.StdErr.Trim());
        Assert.Equal(before, s.Files());

        s.Repo.Git("config", "ksplice.gc.maxAge", "3.fortnights");
        var bad = s.Repo.Ksplice("gc");
        Assert.Equal(1, bad.ExitCode);
        Assert.StartsWith("fatal: git config ksplice.gc.maxAge (local): bad age '3.fortnights'", bad.StdErr.Trim());
    }

    [Fact]
    public void Gc_leaves_build_trees_alone_while_a_build_holds_the_lock()
    {
        using var s = Populate();
        // Another process holds the build lock, as a running create does.
        var lockPath = Path.Combine(s.State, "build.lock");
        using var holder = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);

        var r = s.Repo.Ksplice("gc", "--max-age", "now");

        Assert.Equal(0, r.ExitCode);
        Assert.Contains("kept build trees: a build is running", r.StdOut);
        Assert.True(File.Exists(Path.Combine(s.State, "build/tree/a.o")));
        Assert.True(File.Exists(Path.Combine(s.State, "build/tree.objects/a.o")));
        Assert.True(File.Exists(Path.Combine(s.State, "build/half/a.c")));
        Assert.False(File.Exists(Path.Combine(s.State, "logs/pre-aaaa.log")));
    }

    [Fact]
    public void Status_reports_the_disk_each_part_uses()
    {
        using var s = Populate();
        var r = s.Repo.Ksplice("status", "--json");
        Assert.Equal(0, r.ExitCode);
        using var json = JsonDocument.Parse(r.StdOut);
        var disk = json.RootElement.GetProperty("disk");
        var parts = disk.GetProperty("parts").EnumerateArray().ToDictionary(p => p.GetProperty("name").GetString()!, p => p.GetProperty("bytes").GetInt64());
        Assert.True(parts["build/pre-outputs"] >= 64 * 1024);
        Assert.True(parts["build/tree"] >= 64 * 1024);
        Assert.True(parts["logs"] >= 8 * 1024);
        Assert.Equal(parts.Values.Sum(), disk.GetProperty("totalBytes").GetInt64());

        var text = s.Repo.Ksplice("status");
        Assert.Matches(@"disk: +[0-9.]+ KiB in .*\(build/half [0-9.]+ KiB, build/pre-outputs .*git ksplice gc removes what is stale", text.StdOut);
    }
}
