using System.IO.Compression;
using GitKsplice.IO;
using GitKsplice.Kstuff.Bundles;
using GitKsplice.Tests.Support;
using GitKsplice.Vm;

namespace GitKsplice.Tests.Vm;

/// <summary>
/// The guest's step protocol run by the same static busybox the guest gets, here on the host: what a step
/// prints reaches the transcript whole, with its exit status, however the command is quoted.
/// </summary>
public class GuestScriptTests
{
    private static GuestTranscript RunOnHost(TempDir dir, params string[] steps)
    {
        var script = GuestScript.Functions + "\n" + string.Join("\n", steps) + "\necho " + GuestScript.Quote(GuestScript.DoneMarker) + "\n";
        var run = ProcessRunner.Run(dir.Path, VmTools.StaticBusybox(), ["sh", "-c", script], env: new Dictionary<string, string?> { ["TMPDIR"] = dir.Path });
        Assert.True(run.ExitCode == 0, run.All);
        return GuestTranscript.Parse(run.StdOut.Split('\n'));
    }

    [RequiresFact(Tool.StaticBusybox)]
    public void Each_step_reports_its_output_and_exit_status_and_the_script_its_end()
    {
        using var dir = new TempDir();
        var transcript = RunOnHost(dir,
            GuestScript.Step("quotes", "echo \"it's a 'check'\" | tr a-z A-Z"),
            GuestScript.Step("fails", "echo partial; printf 'no newline'; exit 3"),
            GuestScript.Step("stderr", "echo to-stderr >&2; true"),
            GuestScript.Step("silent", ":"));

        Assert.True(transcript.Completed);
        Assert.Null(transcript.Unfinished);
        Assert.Equal(["quotes", "fails", "stderr", "silent"], transcript.Steps.Select(s => s.Name));
        Assert.Equal(["IT'S A 'CHECK'"], transcript.Find("quotes")!.Output);
        var fails = transcript.Find("fails")!;
        Assert.Equal(3, fails.ExitCode);
        Assert.Equal(["partial", "no newline"], fails.Output);
        Assert.Equal(["to-stderr"], transcript.Find("stderr")!.Output);
        Assert.Empty(transcript.Find("silent")!.Output);
        Assert.All(transcript.Steps, s => Assert.True(s.Started <= s.Ended && s.Started > 0, $"{s.Name}: {s.Started} .. {s.Ended}"));
        Assert.Empty(Directory.GetFiles(dir.Path)); // each step's capture file is removed
    }

    [Fact]
    public void A_step_that_never_ends_is_named_and_the_script_is_not_complete()
    {
        var transcript = GuestTranscript.Parse([
            "[    1.234] Run /init as init process",
            GuestScript.Marker + " begin load-0 2.50",
            GuestScript.Marker + " out insmod: can't insert",
            "[    2.600] BUG: kernel NULL pointer dereference",
        ]);
        Assert.False(transcript.Completed);
        Assert.Equal("load-0", transcript.Unfinished);
        Assert.Empty(transcript.Steps);
    }

    [Fact]
    public void Step_names_that_would_break_the_marker_line_are_refused()
    {
        Assert.Throws<ArgumentException>(() => GuestScript.Step("two words", "true"));
        Assert.Throws<ArgumentException>(() => GuestScript.Step("", "true"));
    }

    [RequiresFact(Tool.StaticBusybox, Tool.Cpio)]
    public void The_initramfs_holds_busybox_the_files_and_an_executable_init()
    {
        using var dir = new TempDir();
        var path = dir["initramfs.cpio.gz"];
        var module = new byte[] { 0x7f, (byte)'E', (byte)'L', (byte)'F', 1, 2, 3 };
        var script = new GuestScript().Line(GuestScript.Step("hello", "echo hi")).Render();
        Initramfs.Write(path, VmTools.StaticBusybox(), script, [new GuestFile("/ksplice/ksplice_x.ko", module)]);

        using var gzip = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        var members = CpioReader.Read(gzip, path).ToDictionary(m => m.Name);
        Assert.Equal(File.ReadAllBytes(VmTools.StaticBusybox()), members["bin/busybox"].Data);
        Assert.Equal(EntryKind.SymbolicLink, members["bin/sh"].Kind);
        Assert.Equal(module, members["ksplice/ksplice_x.ko"].Data);
        Assert.Equal(EntryKind.Directory, members["ksplice"].Kind);
        foreach (var d in new[] { "dev", "proc", "sys", "tmp" }) Assert.Equal(EntryKind.Directory, members[d].Kind);
        var init = members["init"];
        Assert.Equal(0b111_101_101, init.Permissions);
        Assert.Equal(script, System.Text.Encoding.UTF8.GetString(init.Data));
        Assert.StartsWith("#!/bin/busybox sh\n", script);

        // The system's cpio reads it the way the kernel's unpacker does (newc).
        var listing = ProcessRunner.Run(dir.Path, "sh", ["-c", $"gzip -dc {path} | cpio -it --quiet"]);
        Assert.True(listing.ExitCode == 0, listing.All);
        Assert.Contains("ksplice/ksplice_x.ko", listing.StdOut.Split('\n'));
    }
}
