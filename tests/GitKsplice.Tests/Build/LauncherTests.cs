using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using GitKsplice.Tests.Support;
using GitKsplice.Updates;

namespace GitKsplice.Tests.Build;

/// <summary>
/// Compiler launchers (issue 17): ccache, distcc and icecream from Debian, run for real, the cache in a directory
/// of the test's own, the distccd listening on 127.0.0.1 only and the icecream scheduler and daemon in a network
/// namespace whose only interface is its loopback, started and stopped by the test.
/// </summary>
[Trait(TestCategory.Name, TestCategory.EndToEnd)]
public class LauncherTests
{
    private static readonly string GreetChanged =
        CTree.Greet.Replace("return printf(\"hello, %s\\n\", name);", "return printf(\"hello, %s\\n\", name) + 1;") + "\n";

    private static RunResult Ksplice(TestRepo repo, Dictionary<string, string?> env, params string[] args) =>
        ProcessRunner.Run(repo.Root, "git", ["ksplice", .. args], env);

    /// <summary>A fresh clone of <paramref name="source"/> in a directory of its own, its HEAD marked as the running source.</summary>
    private static TestRepo Clone(TestRepo source)
    {
        var clone = new TestRepo(init: false);
        clone.Git("clone", "-q", source.Root, ".");
        clone.Git("config", "user.name", "Test User");
        clone.Git("config", "user.email", "test@example.com");
        Assert.Equal(0, clone.Ksplice("series", "set", "HEAD").ExitCode);
        return clone;
    }

    /// <summary>The last build as status --json reports it.</summary>
    private static JsonElement LastBuild(TestRepo repo)
    {
        var r = repo.Ksplice("status", "--json");
        Assert.True(r.ExitCode == 0, r.All);
        return JsonDocument.Parse(r.StdOut).RootElement.GetProperty("lastBuild").Clone();
    }

    /// <summary>Every object of the build tree and every sectioned copy, by path, with its bytes.</summary>
    private static SortedDictionary<string, byte[]> Objects(TestRepo repo)
    {
        var objects = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var root in new[] { ".git/ksplice/build/pre-outputs", ".git/ksplice/build/tree", ".git/ksplice/build/tree.objects" })
            foreach (var file in Directory.EnumerateFiles(repo.Path(root), "*.o", SearchOption.AllDirectories))
                objects[root + "/" + Path.GetRelativePath(repo.Path(root), file)] = File.ReadAllBytes(file);
        return objects;
    }

    [Fact]
    public void Ccache_serves_a_second_prebuild_in_a_fresh_clone_with_objects_byte_identical_to_fresh_ones()
    {
        using var cache = new TempDir();
        var env = new Dictionary<string, string?> { ["CCACHE_DIR"] = cache.Path, ["CCACHE_DISABLE"] = null, ["CCACHE_BASEDIR"] = null };
        using var first = CTree.Create();
        var r = Ksplice(first, env, "create", "--prebuild", "--launcher", "ccache");
        Assert.True(r.ExitCode == 0, r.All);
        var cold = LastBuild(first);
        Assert.Equal("ccache", cold.GetProperty("launcher").GetString());
        Assert.Equal(0, cold.GetProperty("cacheHits").GetInt32());
        // Four objects, compiled as the Makefile asks (their sectioned copies wait until a change needs them).
        Assert.Equal(4, cold.GetProperty("cacheMisses").GetInt32());

        using var second = Clone(first);
        second.Git("config", "ksplice.compilerLauncher", "ccache");
        r = Ksplice(second, env, "create", "--prebuild");
        Assert.True(r.ExitCode == 0, r.All);
        var warm = LastBuild(second);
        Assert.Equal(4, warm.GetProperty("cacheHits").GetInt32());
        Assert.Equal(0, warm.GetProperty("cacheMisses").GetInt32());
        var status = second.Ksplice("status");
        Assert.Contains("launcher:  ccache (ksplice.compilerLauncher)", status.StdOut);
        Assert.Contains("through ccache, 4 of 4 compiles from the cache (100%)", status.StdOut);

        // The same builds with the cache turned off compile everything afresh: the same bytes, and the same update.
        using var fresh = Clone(first);
        var freshEnv = new Dictionary<string, string?>(env) { ["CCACHE_DISABLE"] = "1" };
        r = Ksplice(fresh, freshEnv, "create", "--prebuild", "--launcher", "ccache");
        Assert.True(r.ExitCode == 0, r.All);
        string Update(TestRepo repo, Dictionary<string, string?> environment, string id)
        {
            repo.Write("greet.c", GreetChanged);
            var created = Ksplice(repo, environment, "create", "--launcher", "ccache", "--id", id, repo.Commit("change greet"));
            Assert.True(created.ExitCode == 0, created.All);
            var objects = UpdateArchive.ReadManifest(repo.Path($"ksplice-{id}.tar.gz")).Objects;
            return string.Join("\n", objects.Select(o => $"{o.Path} {o.PreSha256} {o.PostSha256} {string.Join(',', o.Changed)}"));
        }
        Assert.Equal(Update(fresh, freshEnv, "fresh1"), Update(second, env, "cache1"));
        var cached = Objects(second);
        var compiled = Objects(fresh);
        Assert.Equal(compiled.Keys, cached.Keys);
        Assert.Contains(".git/ksplice/build/pre-outputs/greet.o", cached.Keys);
        Assert.Contains(".git/ksplice/build/tree.objects/greet.o", cached.Keys);
        foreach (var (path, bytes) in compiled) Assert.True(bytes.AsSpan().SequenceEqual(cached[path]), $"{path} differs from a fresh compile");
    }

    [Fact]
    public void A_build_command_that_names_ccache_runs_it_once_per_compile_and_a_cache_hit_still_gives_the_sectioned_copy()
    {
        using var cache = new TempDir();
        var env = new Dictionary<string, string?> { ["CCACHE_DIR"] = cache.Path, ["CCACHE_DISABLE"] = null, ["CCACHE_BASEDIR"] = null };
        using var first = CTree.Create();
        first.Git("config", "ksplice.buildCommand", "make CC=\"ccache gcc\"");
        first.Git("config", "ksplice.compilerLauncher", "ccache");
        var r = Ksplice(first, env, "create", "--prebuild");
        Assert.True(r.ExitCode == 0, r.All);
        // Wrapped twice, ccache would see each compile twice (once as gcc, once as the compiler under it).
        Assert.Equal(4, LastBuild(first).GetProperty("cacheMisses").GetInt32());

        using var second = Clone(first);
        second.Git("config", "ksplice.buildCommand", "make CC=\"ccache gcc\"");
        second.Write("greet.c", GreetChanged);
        var change = second.Commit("change greet");
        r = Ksplice(second, env, "create", "--id", "named1", change);
        Assert.True(r.ExitCode == 0, r.All);
        var manifest = UpdateArchive.ReadManifest(second.Path("ksplice-named1.tar.gz"));
        Assert.Equal(["greet.o"], manifest.Objects.Select(o => o.Path));
        Assert.Equal(["greet"], manifest.Objects[0].Changed);
        var post = LastBuild(second);
        Assert.Equal("ccache", post.GetProperty("launcher").GetString());
        Assert.Equal(0, post.GetProperty("cacheHits").GetInt32()); // the pre build was all hits; the changed object is new
    }

    /// <summary>
    /// Kbuild's shape in miniature: CC and HOSTCC set in the Makefile, KCFLAGS added to every object's compile, and a
    /// host program (as fixdep and scripts/ are) compiled with HOSTCC.
    /// </summary>
    private static TestRepo KbuildLikeTree()
    {
        var repo = new TestRepo();
        repo.Write("Makefile", "# KBUILD_ tree\nCC = gcc\nHOSTCC = gcc\nobj := greet.o\n" +
            "all: $(obj) hostprog\n\t@echo \"CC=[$(CC)] HOSTCC=[$(HOSTCC)] HOSTCFLAGS=[$(HOSTCFLAGS)] KCFLAGS=[$(KCFLAGS)]\"\n" +
            "hostprog: hostprog.c\n\t$(HOSTCC) -O2 -g $(HOSTCFLAGS) -c -o hostprog.o hostprog.c\n\t$(HOSTCC) -o hostprog hostprog.o\n" +
            "%.o: %.c\n\t$(CC) -O2 -g $(KCFLAGS) -c -o $@ $<\n");
        repo.Write("greet.c", CTree.Greet + "\n");
        repo.Write("hostprog.c", "#include <stdio.h>\nint main(void) { return puts(\"host tool\") < 0; }\n");
        repo.Write(".gitignore", "*.o\nhostprog\n");
        repo.Commit("kbuild-like tree");
        Assert.Equal(0, repo.Ksplice("series", "set", "HEAD").ExitCode);
        return repo;
    }

    /// <summary>The newest build log of <paramref name="repo"/> with <paramref name="label"/> (pre, post).</summary>
    private static string NewestLog(TestRepo repo, string label) =>
        File.ReadAllText(new DirectoryInfo(repo.Path(".git/ksplice/logs")).GetFiles(label + "-*.log").MaxBy(f => f.LastWriteTimeUtc)!.FullName);

    [Fact]
    public void A_kbuild_tree_gets_the_launcher_as_CC_and_HOSTCC_the_section_flags_through_KCFLAGS_and_a_fresh_clone_hits_the_cache()
    {
        using var cache = new TempDir();
        var env = new Dictionary<string, string?>
        {
            ["CCACHE_DIR"] = cache.Path, ["CCACHE_DISABLE"] = null, ["CCACHE_BASEDIR"] = null, ["KCFLAGS"] = null, ["HOSTCFLAGS"] = null,
        };
        using var repo = KbuildLikeTree();

        var r = Ksplice(repo, env, "create", "--prebuild", "--launcher", "ccache");

        Assert.True(r.ExitCode == 0, r.All);
        var map = Regex.Escape("-ffile-prefix-map=" + repo.Path(".git/ksplice/build/tree") + "=.");
        Assert.Matches(@"CC=\[/\S*/ccache gcc\] HOSTCC=\[/\S*/ccache gcc\] HOSTCFLAGS=\[" + map +
            @"\] KCFLAGS=\[-ffunction-sections -fdata-sections " + map + @"\]", NewestLog(repo, "pre"));
        // greet.o with CC and hostprog.o with HOSTCC, both compiled by ccache (hostprog's link is not a compile).
        Assert.Equal(2, LastBuild(repo).GetProperty("cacheMisses").GetInt32());

        // Both compile with -g, so ccache would hash the directory each runs in, were its path not mapped: a fresh
        // clone's prebuild is served from the cache, the host program's compile too.
        using var second = Clone(repo);
        r = Ksplice(second, env, "create", "--prebuild", "--launcher", "ccache");
        Assert.True(r.ExitCode == 0, r.All);
        var warm = LastBuild(second);
        Assert.Equal(2, warm.GetProperty("cacheHits").GetInt32());
        Assert.Equal(0, warm.GetProperty("cacheMisses").GetInt32());
    }

    [Fact]
    public void A_kbuild_build_command_that_sets_HOSTCC_keeps_it_and_CC_still_gets_the_launcher()
    {
        using var cache = new TempDir();
        var env = new Dictionary<string, string?> { ["CCACHE_DIR"] = cache.Path, ["CCACHE_DISABLE"] = null, ["KCFLAGS"] = null };
        using var repo = KbuildLikeTree();
        repo.Git("config", "ksplice.buildCommand", "make HOSTCC=gcc");

        var r = Ksplice(repo, env, "create", "--prebuild", "--launcher", "ccache");

        Assert.True(r.ExitCode == 0, r.All);
        Assert.Matches(@"CC=\[/\S*/ccache gcc\] HOSTCC=\[gcc\] ", NewestLog(repo, "pre"));
        var build = LastBuild(repo);
        Assert.Equal(1, build.GetProperty("cacheMisses").GetInt32() + build.GetProperty("cacheHits").GetInt32()); // greet.o only

        // The command's own launcher for HOSTCC is not wrapped again, and CC still gets the configured one.
        repo.Git("config", "ksplice.buildCommand", "make HOSTCC=\"ccache gcc\"");
        r = Ksplice(repo, env, "create", "--prebuild", "--launcher", "ccache");
        Assert.True(r.ExitCode == 0, r.All);
        Assert.Matches(@"CC=\[/\S*/ccache gcc\] HOSTCC=\[ccache gcc\] ", NewestLog(repo, "pre"));
    }

    [Fact]
    public void Distcc_compiles_every_object_on_a_distccd_on_localhost_and_sets_the_default_jobs()
    {
        using var work = new TempDir();
        // distccd started as root runs as the distcc user: its log's directory must be writable by it.
        File.SetUnixFileMode(work.Path, (UnixFileMode)0x1ED);
        var logDir = Directory.CreateDirectory(work["distccd"]).FullName;
        File.SetUnixFileMode(logDir, (UnixFileMode)0x1FF);
        var log = Path.Combine(logDir, "distccd.log");
        var port = FreePort();
        using var daemon = Process.Start(new ProcessStartInfo("distccd",
            ["--daemon", "--no-detach", "--allow", "127.0.0.1", "--listen", "127.0.0.1", "--port", port.ToString(),
             "--log-file", log, "--log-level", "info", "--jobs", "2"])
        { UseShellExecute = false })!;
        try
        {
            WaitForListener(port, log);
            using var repo = CTree.Create();
            repo.Git("config", "ksplice.buildCommand", "echo \"jobs: $MAKEFLAGS\" && make");
            var env = new Dictionary<string, string?>
            {
                ["DISTCC_HOSTS"] = $"127.0.0.1:{port}/5",
                ["DISTCC_FALLBACK"] = "0", // a compile the daemon did not do fails instead of running here
                ["DISTCC_DIR"] = Directory.CreateDirectory(work["distcc-client"]).FullName,
                ["CONCURRENCY_LEVEL"] = null,
            };

            var r = Ksplice(repo, env, "create", "--prebuild", "--launcher", "distcc");

            Assert.True(r.ExitCode == 0, r.All);
            var buildLog = File.ReadAllText(Directory.GetFiles(repo.Path(".git/ksplice/logs"), "pre-*.log").Single());
            Assert.Contains("jobs: -j5", buildLog); // distcc -j: the farm's slots, not this machine's CPUs
            int Served(string source) => File.ReadAllLines(log)
                .Count(l => l.Contains("COMPILE_OK", StringComparison.Ordinal) && l.EndsWith(" " + source, StringComparison.Ordinal));
            // Each object and its sectioned copy (the prebuild compiles every copy later updates need).
            foreach (var source in new[] { "greet.c", "data.c", "main.c", "mod.c" })
                Assert.True(Served(source) == 2, $"{source} was compiled {Served(source)} times by distccd:\n{File.ReadAllText(log)}");
            Assert.Contains("through distcc", repo.Ksplice("status").StdOut);

            // An update: the changed object and its sectioned copy beside it, on distccd.
            repo.Write("greet.c", GreetChanged);
            r = Ksplice(repo, env, "create", "--launcher", "distcc", "--id", "farm1", repo.Commit("change greet"));
            Assert.True(r.ExitCode == 0, r.All);
            Assert.Equal(4, Served("greet.c"));
            Assert.Equal(2, Served("data.c"));
        }
        finally
        {
            daemon.Kill(entireProcessTree: true);
            daemon.WaitForExit();
        }
    }

    [Fact]
    public void Icecc_jobs_are_the_slots_of_the_farm_the_scheduler_lists_and_every_compile_is_a_farm_job()
    {
        using var work = new TempDir();
        // The daemons run as the icecc user: their logs' directory must be writable by it.
        File.SetUnixFileMode(work.Path, (UnixFileMode)0x1ED);
        var dir = Directory.CreateDirectory(work["icecream"]).FullName;
        File.SetUnixFileMode(dir, (UnixFileMode)0x1FF);
        var schedulerLog = Path.Combine(dir, "scheduler.log");
        var daemonLog = Path.Combine(dir, "iceccd.log");
        // The scheduler and the daemon listen on every address of their network namespace, and the daemon looks for
        // schedulers by broadcast: a namespace of their own, whose only interface is its loopback, keeps all of it
        // on 127.0.0.1. The builds run in it too; the compilers reach the daemon by its unix socket.
        using var scheduler = Process.Start(new ProcessStartInfo("unshare",
            ["--net", "--fork", "--", "sh", "-c", $"ip link set lo up && exec icecc-scheduler -l {schedulerLog} -vv"])
        { UseShellExecute = false })!;
        Process? daemon = null;
        try
        {
            WaitForLine(schedulerLog, "scheduler ready");
            var inFarm = $"--net=/proc/{scheduler.Id}/ns/net";
            var socket = Path.Combine(dir, "iceccd.socket");
            var daemonStart = new ProcessStartInfo("nsenter",
                [inFarm, "iceccd", "-s", "127.0.0.1", "-m", "3", "-l", daemonLog, "-vv", "-b", Path.Combine(dir, "envs")])
            { UseShellExecute = false };
            daemonStart.Environment["ICECC_TEST_SOCKET"] = socket;
            daemon = Process.Start(daemonStart)!;
            WaitForLine(daemonLog, "Connected to scheduler");

            using var repo = CTree.Create();
            repo.Git("config", "ksplice.buildCommand", "echo \"jobs: $MAKEFLAGS\" && make");
            var env = new Dictionary<string, string?>
            {
                ["ICECC_SCHEDULER"] = "127.0.0.1",
                ["ICECC_TEST_SOCKET"] = socket,
                ["CONCURRENCY_LEVEL"] = null,
            };
            RunResult InFarm(params string[] args) => ProcessRunner.Run(repo.Root, "nsenter", [inFarm, "git", "ksplice", .. args], env);

            var r = InFarm("create", "--prebuild", "--launcher", "icecc");

            Assert.True(r.ExitCode == 0, r.All);
            Assert.Contains("jobs: -j3", NewestLog(repo, "pre")); // the daemon's 3 slots, not this machine's CPUs
            int Jobs(string source) => File.ReadAllLines(schedulerLog).Count(l => Regex.IsMatch(l, @" NEW \d+ .*\b" + Regex.Escape(source) + " C\\b"));
            foreach (var source in new[] { "greet.c", "data.c", "main.c", "mod.c" }) // the object and its sectioned copy
                Assert.True(Jobs(source) == 2, $"{source} was scheduled {Jobs(source)} times:\n{File.ReadAllText(schedulerLog)}");

            // A scheduler that does not answer: one warning, and this machine's CPUs.
            env["ICECC_SCHEDULER"] = "127.0.0.1:9";
            repo.Write("greet.c", GreetChanged);
            r = InFarm("create", "--launcher", "icecc", "--id", "ice1", repo.Commit("change greet"));
            Assert.True(r.ExitCode == 0, r.All);
            Assert.Contains("warning: the icecream scheduler 127.0.0.1:9 ($ICECC_SCHEDULER) did not list its daemons on port 10", r.StdErr);
            Assert.Contains($"jobs: -j{Environment.ProcessorCount}", NewestLog(repo, "post"));
            Assert.True(Jobs("greet.c") > 2, "the update's compiles did not go through icecream");
        }
        finally
        {
            if (daemon != null)
            {
                daemon.Kill(entireProcessTree: true);
                daemon.WaitForExit();
                daemon.Dispose();
            }
            scheduler.Kill(entireProcessTree: true);
            scheduler.WaitForExit();
        }
    }

    /// <summary>Waits until a daemon's log has <paramref name="text"/>.</summary>
    private static void WaitForLine(string log, string text)
    {
        try { HangGuard.Until(() => File.Exists(log) && File.ReadAllText(log).Contains(text, StringComparison.Ordinal), $"{Path.GetFileName(log)} saying '{text}'"); }
        catch (TimeoutException e) { Assert.Fail($"{e.Message}:\n{(File.Exists(log) ? File.ReadAllText(log) : "(no log)")}"); }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Waits until the daemon says it listens (it writes that once the socket is bound).</summary>
    private static void WaitForListener(int port, string log)
    {
        HangGuard.Until(() => File.Exists(log) && File.ReadAllText(log).Contains($"listening on 127.0.0.1:{port}", StringComparison.Ordinal),
            $"distccd listening on 127.0.0.1:{port}");
    }
}
