using System.Diagnostics;
using GitKsplice.Tests.Support;
using Xunit.Abstractions;

namespace GitKsplice.Tests.Kstuff.Delivery;

/// <summary>What goes wrong: a failing build, a failing install, a dropped connection, bad input of every kind.</summary>
[Trait(TestCategory.Name, TestCategory.Ssh)]
[Collection(SshCollection.Name)]
public class DeliveryFailureTests(SshServer sshd, ITestOutputHelper log)
{
    private static void AssertUnchanged(DeliveryWorld w, SortedDictionary<string, string> before) =>
        Assert.True(before.SequenceEqual(w.TargetSnapshot()),
            "target changed:\n" + TreeSnapshot.Describe(w.TargetSnapshot()) + "\n--- before\n" + TreeSnapshot.Describe(before));

    [Theory]
    [InlineData("broken")]
    [InlineData("unix")]
    public void A_failing_build_leaves_the_target_as_it_was_and_shows_the_remote_output(string kname)
    {
        using var w = new DeliveryWorld(sshd);
        w.Source.File("pack.d/foo/Driver.o", "BROKEN object\n");
        var before = w.TargetSnapshot();
        var r = w.Kstuff(["-bq", DeliveryWorld.Host(kname)]);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("remote: ld: undefined symbol broken_init", r.StdErr);
        Assert.Matches(@"fatal: idbuild failed on kstuff-test \(root \S+\): exit status 2\n$", r.StdErr);
        AssertUnchanged(w, before);
        var log = w.Repo.Kstuff("log", "--json");
        Assert.Contains("\"failedStep\": \"idbuild\"", log.StdOut);
        Assert.Contains("\"ok\": false", log.StdOut);
    }

    [Fact]
    public void A_failing_install_is_undone_step_by_step()
    {
        using var w = new DeliveryWorld(sshd);
        Directory.Delete(w.Target("stand"), recursive: true);
        File.WriteAllText(w.Target("stand"), "not a directory\n");
        var before = w.TargetSnapshot();
        var r = w.Kstuff(["-b", DeliveryWorld.Host("unix")]);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("fatal: installing failed on kstuff-test", r.StdErr);
        Assert.True(r.StdErr.Contains("install the kernel as /stand/unix; every step before it was undone"), r.StdErr);
        Assert.Contains("remote: kstuff: undone", r.StdErr);
        AssertUnchanged(w, before);
    }

    [Fact]
    public async Task A_connection_dropped_during_the_build_leaves_the_target_as_it_was()
    {
        using var w = new DeliveryWorld(sshd);
        w.Source.File("pack.d/foo/Driver.o", "SLOW object\n");
        var before = w.TargetSnapshot();
        var run = Task.Run(() => w.Kstuff(["-b", DeliveryWorld.Host("drop")]));
        var marker = w.Target("var/idbuild.slow");
        HangGuard.Until(() => File.Exists(marker) || run.IsCompleted, "the build's start");
        Assert.True(File.Exists(marker), "the build never started: " + (run.IsCompleted ? (await run).All : ""));
        Assert.True(sshd.DropConnections() > 0);
        var r = await run;
        Assert.Equal(1, r.ExitCode);
        Assert.Matches(@"fatal: idbuild failed on kstuff-test \(root \S+\): the connection was lost or refused", r.StdErr);
        // sshd closed the step's input as the connection went, and the step stopped on the target: the stand-in,
        // which waits an hour for var/idbuild.go (never written), is gone long before.
        WaitForExit(marker);
        AssertUnchanged(w, before);
    }

    /// <summary>
    /// ^C during the remote build: the step's ssh is killed, the target cleaned up and the interruption recorded.
    /// With a slow link (every ssh started after the signal waits 1.5 s, as on a loaded machine or a distant
    /// target), the clean-up still runs to its end rather than being abandoned as a command that hangs.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task An_interrupt_during_the_build_cleans_up_the_target_records_it_and_exits_130(bool slowLink)
    {
        using var w = new DeliveryWorld(sshd);
        var before = w.TargetSnapshot();
        using var kstuff = InterruptedDelivery.Start(w, sshd, slowLinkSeconds: slowLink ? 1.5 : 0);
        kstuff.Interrupt();
        HangGuard.Exit(kstuff.Process, "git kstuff's exit after SIGINT");
        log.WriteLine($"SIGINT during the build{(slowLink ? " (slow link)" : "")}: exit {kstuff.Process.ExitCode} after {kstuff.Signalled.ElapsedMilliseconds} ms");
        Assert.Equal(130, kstuff.Process.ExitCode);
        var err = await kstuff.StdErr;
        Assert.EndsWith("fatal: interrupted\n", err);
        Assert.DoesNotContain("could not remove", err);
        // Stopped on the target as its connection closed, never released: the stand-in would wait an hour.
        kstuff.WaitForStopped();
        AssertUnchanged(w, before);
        kstuff.HealLink();
        Assert.Contains("interrupted", w.Repo.Kstuff("log").StdOut);
    }

    /// <summary>
    /// A clean-up that takes long says so, and a second ^C stops the command at once, leaving the lock. The slow
    /// link outlasts the hang guard: a command that waited for it fails as a hang.
    /// </summary>
    [Fact]
    public async Task A_second_interrupt_stops_a_slow_clean_up_at_once()
    {
        using var w = new DeliveryWorld(sshd);
        using var kstuff = InterruptedDelivery.Start(w, sshd, slowLinkSeconds: 3600);
        kstuff.Interrupt();
        Assert.False(kstuff.Process.WaitForExit(2_500), "the clean-up did not wait for the slow link");
        kstuff.Interrupt();
        HangGuard.Exit(kstuff.Process, "the command's stop at a second interrupt");
        Assert.Equal(130, kstuff.Process.ExitCode);
        var err = await kstuff.StdErr;
        Assert.Contains("interrupted: finishing the clean-up; interrupt again to stop at once\n", err);
        Assert.EndsWith("fatal: interrupted\n", err);
        kstuff.WaitForStopped();
        Assert.True(Directory.Exists(w.Target("etc/.kstuff-lock.intr")), "the clean-up was left, so is the lock");
    }

    [Fact]
    public async Task An_interrupt_during_a_c_command_stops_it_on_the_target_and_removes_it()
    {
        using var w = new DeliveryWorld(sshd);
        DeliveryWorld.Executable(Path.Combine(w.Repo.Root, "slow.sh"), $"""
            #!/bin/sh
            echo $$ > '{w.Target("var/command.pid")}'
            i=0
            while [ $i -lt 36000 ]; do sleep 0.1; i=$((i + 1)); done
            echo done > '{w.Target("var/command.finished")}'
            """);
        var before = w.TargetSnapshot();
        using var kstuff = InterruptedDelivery.Start(w, sshd, options: ["-c", "slow.sh"], runningWhen: "var/command.pid");
        kstuff.Interrupt();
        HangGuard.Exit(kstuff.Process, "git kstuff's exit after SIGINT");
        Assert.Equal(130, kstuff.Process.ExitCode);
        Assert.EndsWith("fatal: interrupted\n", await kstuff.StdErr);
        kstuff.WaitForStopped();
        Assert.False(File.Exists(w.Target("var/command.finished")));
        // The command's file and the staging tree went with the lock; nothing else changed.
        AssertUnchanged(w, before);
        Assert.Contains("interrupted", w.Repo.Kstuff("log").StdOut);
    }

    /// <summary>
    /// ^C while a large tree (200 MiB that do not compress) is being sent: the command exits 130 at once (the
    /// send does not run on, nor does the clean-up wait for it), the target is as it was, its lock gone, and the
    /// log says the send was interrupted. The bound is loose for a loaded machine; the figure is in the output.
    /// </summary>
    [Fact]
    public async Task An_interrupt_while_a_large_tree_is_sent_exits_130_and_leaves_the_target_as_it_was()
    {
        using var w = new DeliveryWorld(sshd);
        var random = new Random(18);
        var bytes = new byte[1 << 20];
        for (var i = 0; i < 200; i++)
        {
            // In both trees: merged, its Driver.o from the source.
            w.Source.Driver($"big{i}", "o");
            w.TargetConf.Driver($"big{i}", "o");
            random.NextBytes(bytes);
            File.WriteAllBytes(Path.Combine(w.Source.Root, "pack.d", $"big{i}", "Driver.o"), bytes);
        }
        var before = w.TargetSnapshot();
        // The staging tree's first driver arrives: the send has begun.
        using var kstuff = InterruptedDelivery.Start(w, sshd, runningWhen: "etc/.kstuff.intr/pack.d");
        kstuff.Interrupt();
        HangGuard.Exit(kstuff.Process, "git kstuff's exit after SIGINT");
        var exited = kstuff.Signalled.Elapsed;
        log.WriteLine($"SIGINT during the send of 200 MiB: exit {kstuff.Process.ExitCode} after {exited.TotalMilliseconds:0} ms");
        Assert.Equal(130, kstuff.Process.ExitCode);
        Assert.True(exited < TimeSpan.FromSeconds(10), $"exit took {exited.TotalSeconds:0.0} s after SIGINT");
        var err = await kstuff.StdErr;
        Assert.EndsWith("fatal: interrupted\n", err);
        Assert.DoesNotContain("could not remove", err);
        AssertUnchanged(w, before);
        var record = w.Repo.Kstuff("log", "--json").StdOut;
        Assert.Contains("\"result\": \"interrupted\"", record);
        Assert.Contains("\"failedStep\": \"sending-merged-tree\"", record);
    }

    /// <summary>
    /// git kstuff -b delivering to kname "intr" over the real sshd, started and left running until the step to
    /// interrupt runs on the target (<c>runningWhen</c> appears there; by default the stand-in idbuild, held by the
    /// SLOW Driver.o for an hour). With a slow link, every ssh started once the test interrupts waits first.
    /// </summary>
    private sealed class InterruptedDelivery : IDisposable
    {
        private readonly DeliveryWorld _world;
        private readonly string _slow;
        public Process Process { get; }
        public Task<string> StdErr { get; }
        private readonly Task<string> _stdout;

        private InterruptedDelivery(DeliveryWorld world, string slow, string running, Process process)
        {
            _world = world;
            _slow = slow;
            _running = running;
            Process = process;
            StdErr = process.StandardError.ReadToEndAsync();
            _stdout = process.StandardOutput.ReadToEndAsync();
        }

        private readonly string _running;

        /// <summary>Started by the first <see cref="Interrupt"/>.</summary>
        public Stopwatch Signalled { get; } = new();

        public static InterruptedDelivery Start(DeliveryWorld w, SshServer sshd, double slowLinkSeconds = 0, string[]? options = null,
            string runningWhen = "var/idbuild.slow")
        {
            var slow = Path.Combine(w.Home, "slow-link");
            if (slowLinkSeconds > 0)
            {
                var ssh = Path.Combine(w.Home, "slow-ssh");
                File.WriteAllText(ssh, FormattableString.Invariant($"#!/bin/sh\n[ -e '{slow}' ] && sleep {slowLinkSeconds}\nexec {sshd.SshCommand} \"$@\"\n"));
                File.SetUnixFileMode(ssh, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                w.Repo.Git("config", "kstuff.sshCommand", ssh);
            }
            w.Source.File("pack.d/foo/Driver.o", "SLOW object\n");
            var psi = ProcessRunner.ToolWithDefaultSignals("git-kstuff", ["-b", .. options ?? [], "--target-root", w.TargetRoot, DeliveryWorld.Host("intr")]);
            psi.WorkingDirectory = w.Repo.Root;
            psi.RedirectStandardError = true;
            psi.RedirectStandardOutput = true;
            foreach (var (k, v) in new Dictionary<string, string> { ["ROOT"] = w.Root, ["MACH"] = DeliveryWorld.Mach, ["HOME"] = w.Home, ["KSTUFF_SYSTEM_RC"] = "" })
                psi.Environment[k] = v;
            var started = new InterruptedDelivery(w, slow, w.Target(runningWhen), Process.Start(psi)!);
            HangGuard.Until(() => Path.Exists(started._running) || started.Process.HasExited, $"{runningWhen} on the target");
            Assert.True(Path.Exists(started._running), $"{runningWhen} never appeared: " + (started.Process.HasExited ? started.StdErr.Result : ""));
            File.WriteAllText(slow, "");
            return started;
        }

        public void Interrupt()
        {
            if (!Signalled.IsRunning) Signalled.Start();
            Assert.Equal(0, ProcessRunner.Run(_world.Repo.Root, "kill", ["-INT", Process.Id.ToString()]).ExitCode);
        }

        /// <summary>Waits until the stand-in that wrote its pid to the marker it was started by has stopped on the target.</summary>
        public void WaitForStopped() => WaitForExit(_running);

        public void HealLink() => File.Delete(_slow);

        public void Dispose()
        {
            if (!Process.HasExited) Process.Kill(entireProcessTree: true);
            _stdout.Wait();
            Process.Dispose();
        }
    }

    [Fact]
    public void A_second_delivery_of_the_same_kname_waits_for_none_and_is_refused()
    {
        using var w = new DeliveryWorld(sshd);
        Directory.CreateDirectory(w.Target("etc/.kstuff-lock.busy"));
        File.WriteAllText(w.Target("etc/.kstuff-lock.busy/owner"), "alice@build pid 42\n");
        var r = w.Kstuff(["-b", DeliveryWorld.Host("busy")]);
        Assert.True(r.ExitCode == 1, r.All);
        Assert.Contains("remote: held by alice@build pid 42; remove", r.StdErr);
        Assert.Contains("fatal: locking /etc/.kstuff-lock.busy failed on kstuff-test", r.StdErr);
        Assert.False(File.Exists(w.Target("stand/busy")));
        // The lock of the other delivery is left alone; a free kname delivers, its lock gone afterwards.
        Assert.True(Directory.Exists(w.Target("etc/.kstuff-lock.busy")));
        Assert.Equal(0, w.Kstuff(["-bq", DeliveryWorld.Host("free")]).ExitCode);
        Assert.False(Directory.Exists(w.Target("etc/.kstuff-lock.free")));
    }

    [Fact]
    public void A_malformed_rc_file_is_named_with_file_and_line()
    {
        using var w = new DeliveryWorld(sshd);
        File.WriteAllText(Path.Combine(w.Home, ".kstuff.rc"), "-bq\n-K -X\n");
        var r = w.Kstuff([DeliveryWorld.Host("x")]);
        Assert.Equal(129, r.ExitCode);
        Assert.Equal($"fatal: {w.Home}/.kstuff.rc:2: kstuff: unknown option -X\n", r.StdErr);
    }

    [Fact]
    public void A_malformed_database_file_is_named_with_file_and_line()
    {
        using var w = new DeliveryWorld(sshd);
        var db = Path.Combine(w.Home, "kernels.db");
        File.WriteAllText(db, "# kernels\n/r:m:/b.Z:0:ok\n/r:m:/b.Z:maybe:bad flag\n");
        var r = w.Kstuff(["-b", "-d", db, DeliveryWorld.Host("x")]);
        Assert.Equal(1, r.ExitCode);
        Assert.StartsWith($"fatal: {db}:3: ", r.StdErr);
        Assert.Single(r.StdErr.TrimEnd('\n').Split('\n'));
    }

    [Theory]
    [InlineData("-oProxyCommand=touch PWNED")]
    [InlineData("kstuff-test;touch PWNED")]
    [InlineData("$(touch PWNED)")]
    [InlineData("kstuff-test:$(touch PWNED)")]
    [InlineData("kstuff-test:../../PWNED")]
    [InlineData("`touch PWNED`:k")]
    public void Hostile_host_and_kernel_names_are_refused_before_anything_runs(string operand)
    {
        using var w = new DeliveryWorld(sshd);
        var r = w.Kstuff(["-b", "--", operand]);
        Assert.NotEqual(0, r.ExitCode);
        Assert.Matches(@"^fatal: (bad (host name|kernel name|target)|kstuff: unknown option -o)", r.StdErr);
        Assert.Single(r.StdErr.TrimEnd('\n').Split('\n'));
        Assert.False(File.Exists(Path.Combine(w.Repo.Root, "PWNED")));
        Assert.False(Directory.EnumerateFileSystemEntries(w.TargetRoot, "PWNED*", SearchOption.AllDirectories).Any());
        Assert.False(File.Exists(w.Target("var/idbuild.log")));
    }

    [Theory]
    [InlineData("-n", "a;touch PWNED")]
    [InlineData("-Y", "$(touch PWNED)")]
    [InlineData("-N", "../../PWNED")]
    public void Hostile_driver_names_are_refused(string option, string driver)
    {
        using var w = new DeliveryWorld(sshd);
        var r = w.Kstuff(["-b", option, driver, DeliveryWorld.Host("x")]);
        Assert.Equal(129, r.ExitCode);
        Assert.Contains("bad driver name", r.StdErr);
        Assert.False(File.Exists(Path.Combine(w.Repo.Root, "PWNED")));
    }

    [Fact]
    public void A_target_without_a_configuration_tree_is_named()
    {
        using var w = new DeliveryWorld(sshd);
        var r = w.Kstuff(["-bq", "-t", "nosuch", DeliveryWorld.Host("x")]);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("remote: no configuration tree", r.StdErr);
        Assert.Contains("fatal: reading the configuration failed on kstuff-test", r.StdErr);
    }

    /// <summary>Waits until the stand-in that wrote its pid to <paramref name="marker"/> has exited (a zombie has).</summary>
    private static void WaitForExit(string marker)
    {
        var pid = 0;
        HangGuard.Until(() => int.TryParse(File.ReadAllText(marker).Trim(), out pid), $"the stand-in's pid in {marker}");
        HangGuard.Until(() => !IsRunning(pid), $"the stand-in's (pid {pid}) stop on the target after its connection closed");
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[stat.LastIndexOf(')') + 2] != 'Z';
        }
        catch (IOException) { return false; }
    }
}
