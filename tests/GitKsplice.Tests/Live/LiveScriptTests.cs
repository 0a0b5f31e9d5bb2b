using GitKsplice.Live;
using GitKsplice.Tests.Support;

namespace GitKsplice.Tests.Live;

/// <summary>The target's scripts are POSIX sh: read without error by dash (Debian's /bin/sh) and busybox sh (a small target's).</summary>
public class LiveScriptTests
{
    public static TheoryData<string> Scripts() => new(nameof(LiveScripts.Probe), nameof(LiveScripts.Symbols), nameof(LiveScripts.Copy),
        nameof(LiveScripts.RunJob), nameof(LiveScripts.LoadJob), nameof(LiveScripts.UndoJob), nameof(LiveScripts.View));

    [RequiresTheory(Tool.Dash, Tool.Busybox)]
    [MemberData(nameof(Scripts))]
    public void Every_script_parses_in_dash_and_busybox_sh(string name)
    {
        var script = (string)typeof(LiveScripts).GetField(name)!.GetValue(null)!;
        using var dir = new TempDir();
        var file = dir.Write(name + ".sh", script);
        foreach (var shell in (string[][])[["dash"], ["busybox", "sh"]])
        {
            var r = ProcessRunner.Run(dir.Path, shell[0], [.. shell[1..], "-n", file]);
            Assert.True(r.ExitCode == 0, $"{string.Join(' ', shell)} -n {name}: {r.All}");
        }
    }

    [Fact]
    public void A_job_log_names_its_result_times_and_blocking_tasks()
    {
        var log = JobLog.Parse("@ start 12.50\ninsmod: ok\n@ blocked 42 kworker/0:1\n@ stack 42 [<0>] msleep+0x2a/0x40\n@ stack 42 [<0>] worker+0x10/0x20\n@ blocked 7 sh\n@ result reversed\n");
        Assert.Equal("reversed", log.Result);
        Assert.Null(log.TransitionSeconds);
        Assert.Equal(["insmod: ok"], log.Output);
        Assert.Equal(2, log.Blocking.Count);
        Assert.Equal(new[] { "[<0>] msleep+0x2a/0x40", "[<0>] worker+0x10/0x20" }, log.Blocking[0].Stack);
        Assert.Equal("kworker/0:1", log.Blocking[0].Command);
        Assert.Equal(1.25, JobLog.Parse("@ start 12.50\n@ switched 13.75\n@ result applied\n").TransitionSeconds);
    }
}
