using System.Diagnostics;
using System.Text.Json;
using GitKsplice.Livepatch;
using GitKsplice.Tests.Support;
using GitKsplice.Updates;
using Xunit.Abstractions;

namespace GitKsplice.Tests.Live;

/// <summary>
/// apply, view and undo of a series of two updates on a real kernel over ssh: the guest boots the image the updates
/// were built for (<see cref="SshGuest"/>), and every step runs the tool as a user would, checking the kernel's
/// behaviour (/proc/cmdline and /proc/version as the updates change them), the notes and the --json schemas.
/// </summary>
internal sealed class LiveScenario(string repository, string kernel, ITestOutputHelper output)
{
    /// <summary>
    /// <paramref name="first"/> changes /proc/cmdline to start with <paramref name="cmdlineMark"/>, <paramref name="second"/>
    /// (built with --series after it) /proc/version with <paramref name="versionMark"/>; <paramref name="otherBuild"/> is
    /// a directory holding the System.map of another build of the same kernel release.
    /// </summary>
    /// <paramref name="pipeUpdate"/> (built after the second) changes pipe_read, which a reader of an empty pipe sleeps in.
    public void SeriesOfTwo(string first, string second, string cmdlineMark, string versionMark, string otherBuild, string pipeUpdate)
    {
        using var guest = new SshGuest(kernel);
        output.WriteLine($"guest booted and answering ssh in {guest.BootTime.TotalSeconds:0.0} s");
        const string Host = SshGuest.RootAlias;
        // The ssh command through git's environment, so that the tool started directly below has it too.
        var env = new Dictionary<string, string?> { ["GIT_CONFIG_COUNT"] = "1", ["GIT_CONFIG_KEY_0"] = "ksplice.sshCommand", ["GIT_CONFIG_VALUE_0"] = guest.SshCommand };
        RunResult Ksplice(params string[] args) => ProcessRunner.Run(repository, "git", ["ksplice", .. args], env);
        string Proc(string file) => guest.Ssh($"cat /proc/{file}").StdOut;
        var cmdline = Proc("cmdline");
        var version = Proc("version");
        Assert.DoesNotContain(cmdlineMark, cmdline);

        // Out of order: the second follows the first, which is not applied.
        var early = Ksplice("apply", second, Host);
        Assert.Equal(1, early.ExitCode);
        Assert.Equal($"error: update {second} follows {first} in its series, which is not applied on {Host}: apply {first} first\n", early.StdErr);

        // Another build of the same release: the replaced function is elsewhere in its kernel.
        var other = Ksplice("apply", "--config", otherBuild, first, Host);
        Assert.True(other.ExitCode == 1, other.All);
        Assert.Matches($"^error: cmdline_proc_show is at _text\\+0x[0-9a-f]+ in the kernel of {Host} but at _text\\+0x[0-9a-f]+ in update {first}'s System.map: {Host} runs another build of cmdline_proc_show's kernel\n$", other.StdErr);

        // Not root.
        var user = Ksplice("apply", first, SshGuest.UserAlias);
        Assert.Equal(1, user.ExitCode);
        Assert.Equal($"error: not root on {SshGuest.UserAlias} (uid 1000): log in as root, or set ksplice.remoteSudo to run the steps with sudo -n\n", user.StdErr);
        Assert.Equal(cmdline, Proc("cmdline"));

        var dry = Ksplice("apply", "--dry-run", first, Host);
        Assert.True(dry.ExitCode == 0, dry.All);
        Assert.EndsWith($"update {first} can be applied on {Host} ({Release(guest)}); nothing was loaded (--dry-run)\n", dry.StdOut);
        Assert.Equal(cmdline, Proc("cmdline"));

        // In order, timed: apply and undo of one update is what a user waits for.
        var clock = Stopwatch.StartNew();
        var apply = Ksplice("apply", "--json", first, Host);
        var applySeconds = clock.Elapsed.TotalSeconds;
        Assert.True(apply.ExitCode == 0, apply.All);
        Golden("apply", apply.StdOut);
        using (var doc = JsonDocument.Parse(apply.StdOut))
        {
            Assert.Equal("applied", doc.RootElement.GetProperty("result").GetString());
            Assert.Equal("cmdline_proc_show", doc.RootElement.GetProperty("functions")[0].GetProperty("function").GetString());
        }
        Assert.Equal(cmdlineMark + cmdline, Proc("cmdline"));

        var applySecond = Ksplice("apply", second, Host);
        Assert.True(applySecond.ExitCode == 0, applySecond.All);
        Assert.Contains($"applied update {second} ({Module(second)}) on {Host}", applySecond.StdOut);
        Assert.Contains("  live: version_proc_show\n", applySecond.StdOut);
        Assert.Equal(versionMark + version, Proc("version"));
        Assert.Equal(1, Ksplice("apply", second, Host).ExitCode);

        // A task asleep in pipe_read keeps the transition from completing: after --timeout it is reversed and the
        // module unloaded, and the task is named with its stack.
        guest.Ssh("setsid sh -c 'sleep 1000 | cat' </dev/null >/dev/null 2>&1 &");
        var reader = guest.Ssh("for p in /proc/[0-9]*; do [ \"$(cat $p/comm)\" = cat ] && echo ${p#/proc/}; done").StdOut.Trim();
        Assert.Matches("^[0-9]+$", reader);
        var stuck = Ksplice("apply", "--timeout", "2", pipeUpdate, Host);
        Assert.Equal(1, stuck.ExitCode);
        Assert.Equal($"error: the transition of update {pipeUpdate} did not complete in 2 s on {Host}; it was reversed and unloaded; tasks not yet switched: cat ({reader})\n", stuck.StdErr);
        Assert.Contains($"  blocking: cat ({reader})\n", stuck.StdOut);
        Assert.Contains("pipe_read", stuck.StdOut);
        Assert.Equal("", guest.Ssh($"ls /sys/kernel/livepatch | grep {Module(pipeUpdate)}; grep {Module(pipeUpdate)} /proc/modules").StdOut);
        output.WriteLine(stuck.All);

        // The command interrupted while the job waits on the target: it stops within a second, the job reverses
        // on its own, and the next command says so and records it.
        var log = $"/var/lib/git-ksplice/{Module(pipeUpdate)}.log";
        guest.Ssh($"rm -f {log}");
        var psi = ProcessRunner.ToolWithDefaultSignals("git-ksplice", ["apply", "--timeout", "4", pipeUpdate, Host]);
        psi.WorkingDirectory = repository;
        psi.RedirectStandardError = psi.RedirectStandardOutput = true;
        foreach (var (key, value) in env) psi.Environment[key] = value;
        psi.Environment["PATH"] = ProcessRunner.ToolDirectory + Path.PathSeparator + Environment.GetEnvironmentVariable("PATH");
        using (var interrupted = Process.Start(psi)!)
        {
            var stderr = interrupted.StandardError.ReadToEndAsync();
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (guest.Ssh($"grep -q '^@ start' {log}").ExitCode != 0)
            {
                Assert.True(DateTime.UtcNow < deadline && !interrupted.HasExited, "the apply's job never started: " + (interrupted.HasExited ? stderr.Result : ""));
                Thread.Sleep(100);
            }
            var stopping = Stopwatch.StartNew();
            Assert.Equal(0, ProcessRunner.Run("/", "kill", ["-TERM", interrupted.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]).ExitCode);
            Assert.True(interrupted.WaitForExit(5000), "the interrupted apply did not stop");
            output.WriteLine($"interrupted apply stopped in {stopping.Elapsed.TotalSeconds:0.00} s: {stderr.Result.Trim()}");
            Assert.InRange(stopping.Elapsed.TotalSeconds, 0, 1.5);
        }
        var finished = DateTime.UtcNow.AddSeconds(60);
        while (guest.Ssh($"grep -q '^@ result' {log}").ExitCode != 0)
        {
            Assert.True(DateTime.UtcNow < finished, "the job on the target did not end on its own");
            Thread.Sleep(200);
        }
        var told = Ksplice("view", Host);
        output.WriteLine(told.All);
        Assert.True(told.ExitCode == 0, told.All);
        Assert.Matches($"the apply of update {pipeUpdate} on {Host}, interrupted at [0-9TZ:-]+, ended there: reversed\n", told.StdErr);
        var pipePost = ProcessRunner.Run(repository, "git", ["rev-parse", $"refs/ksplice/updates/{pipeUpdate}"]).StdOut.Trim();
        Assert.Contains("result: reversed\nfailure: the job on the target ended reversed after its command was interrupted",
            ProcessRunner.Run(repository, "git", ["notes", "--ref", "ksplice", "show", pipePost]).StdOut);
        guest.Ssh($"kill {reader}");

        var view = Ksplice("view", "--json", Host);
        Assert.True(view.ExitCode == 0, view.All);
        Golden("view-live", view.StdOut);
        using (var doc = JsonDocument.Parse(view.StdOut))
        {
            Assert.Contains(doc.RootElement.GetProperty("jobs").EnumerateArray(),
                j => j.GetProperty("module").GetString() == Module(pipeUpdate) && j.GetProperty("result").GetString() == "reversed");
            var patches = doc.RootElement.GetProperty("patches").EnumerateArray().ToList();
            Assert.Equal([first, second], patches.Select(p => p.GetProperty("id").GetString()));
            Assert.All(patches, p => Assert.True(p.GetProperty("sha256Matches").GetBoolean()));
            Assert.All(patches, p => Assert.True(p.GetProperty("enabled").GetBoolean()));
        }
        // From a repository that did not build them, they are foreign.
        using (var elsewhere = new TestRepo())
        {
            var foreign = ProcessRunner.Run(elsewhere.Root, "git", ["ksplice", "view", Host], env);
            Assert.True(foreign.ExitCode == 0, foreign.All);
            Assert.Contains($"  {Module(first)}  enabled  foreign\n", foreign.StdOut);
            Assert.Contains($"  {Module(second)}  enabled  foreign\n", foreign.StdOut);
        }
        var list = Ksplice("list");
        Assert.Contains($"(live on {Host})", list.StdOut);

        var outOfOrder = Ksplice("undo", first, Host);
        Assert.Equal(1, outOfOrder.ExitCode);
        Assert.Equal($"fatal: update {second} follows {first} in its series and is applied on {Host}: undo it first (newest first), or give --all\n", outOfOrder.StdErr);
        Assert.Equal(cmdlineMark + cmdline, Proc("cmdline"));

        var undoSecond = Ksplice("undo", "--json", second, Host);
        Assert.True(undoSecond.ExitCode == 0, undoSecond.All);
        Golden("undo", undoSecond.StdOut);
        Assert.Equal(version, Proc("version"));
        clock.Restart();
        var undoFirst = Ksplice("undo", first, Host);
        var undoSeconds = clock.Elapsed.TotalSeconds;
        Assert.True(undoFirst.ExitCode == 0, undoFirst.All);
        Assert.Equal(cmdline, Proc("cmdline"));
        output.WriteLine($"apply {first}: {applySeconds:0.00} s, undo {first}: {undoSeconds:0.00} s over ssh, TCG guest");

        // --all takes back the chain, newest first; nothing of ours is left loaded or copied.
        Assert.Equal(0, Ksplice("apply", first, Host).ExitCode);
        Assert.Equal(0, Ksplice("apply", second, Host).ExitCode);
        var all = Ksplice("undo", "--all", first, Host);
        Assert.True(all.ExitCode == 0, all.All);
        Assert.Equal($"undone update {second}", all.StdOut.Split('\n')[0].Split(" (")[0]);
        Assert.Equal($"undone update {first}", all.StdOut.Split('\n')[1].Split(" (")[0]);
        Assert.Equal((cmdline, version), (Proc("cmdline"), Proc("version")));
        Assert.Equal("", guest.Ssh("ls /sys/kernel/livepatch; ls /var/lib/git-ksplice | grep '\\.ko$'; grep -c ksplice_ /proc/modules").StdOut.Replace("0\n", ""));
        var show = Ksplice("show", first);
        Assert.DoesNotContain("live on:", show.StdOut);
    }

    private static string Module(string id) => LivepatchModule.ModuleName(id);

    private static string Release(SshGuest guest) => guest.Ssh("uname -r").StdOut.Trim();

    /// <summary>
    /// The schema of a --json output against Live/Golden/&lt;name&gt;.schema. Only a run on the Linux tests' kernel makes
    /// these outputs, so they are pinned by schema until such a run rewrites them whole.
    /// </summary>
    private static void Golden(string name, string json) => Support.Golden.Check(name + ".schema", Support.Golden.Schema(json));
}
