using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using GitKsplice.Images;
using GitKsplice.Tests.Support;
using GitKsplice.Vm;
using Xunit.Abstractions;

namespace GitKsplice.Tests.Vm;

/// <summary>The Linux tests' running kernel booted under QEMU with an initramfs we write; its steps read back.</summary>
[Collection(LinuxTreeCollection.Name)]
[Trait(TestCategory.Name, TestCategory.Linux)]
[Trait(TestCategory.Name, TestCategory.Vm)]
public class GuestBootTests(ITestOutputHelper output)
{
    private static (VmResult Vm, GuestTranscript Transcript, string Log) Boot(TempDir dir, GuestScript script, TimeSpan timeout,
        Action<string>? onStep = null, CancellationToken cancel = default, IEnumerable<GuestFile>? files = null, int? sshPort = null)
    {
        var initramfs = dir["initramfs.cpio.gz"];
        Initramfs.Write(initramfs, VmTools.StaticBusybox(), script.Render(), files ?? []);
        var transcript = new GuestTranscript();
        var log = dir["serial.log"];
        var vm = QemuMachine.Run(new VmRequest(LinuxTree.Shared.KernelImage, initramfs, log, timeout) { SshPort = sshPort }, line =>
        {
            if (transcript.Add(line) is { } step) onStep?.Invoke(step);
        }, cancel);
        return (vm, transcript, log);
    }

    [Fact]
    public void The_running_kernel_boots_runs_the_steps_and_powers_off()
    {
        using var dir = new TempDir();
        var image = KernelImage.Read(LinuxTree.Shared.KernelImage);
        var script = new GuestScript()
            .Line(GuestScript.Step("version", "cat /proc/version"))
            .Line(GuestScript.Step("livepatch", "ls -d /sys/kernel/livepatch"))
            .Line(GuestScript.Step("network", "for n in /sys/class/net/*; do [ -e \"$n\" ] && echo \"${n##*/}\"; done; true"))
            .Line(GuestScript.Step("module", "insmod /configs.ko && zcat /proc/config.gz"));
        var configs = new GuestFile("/configs.ko", File.ReadAllBytes(Path.Combine(LinuxTree.Shared.RunningModules, "kernel/configs.ko")));

        var (vm, transcript, log) = Boot(dir, script, HangGuard.Bound, files: [configs]);

        Assert.True(transcript.Completed, File.ReadAllText(log));
        Assert.False(vm.TimedOut);
        Assert.StartsWith($"Linux version {image.Release} ", Assert.Single(transcript.Find("version")!.Output));
        // The build number and time the image's header names are this very build's.
        Assert.EndsWith(image.Version[image.Version.IndexOf('#')..], transcript.Find("version")!.Output[0].Trim());
        Assert.True(transcript.Find("livepatch")!.Succeeded); // the kernel can take livepatches
        Assert.All(transcript.Find("network")!.Output, device => Assert.Equal("lo", device)); // -nic none: no network device
        Assert.Contains($"Linux version {image.Release}", File.ReadAllText(log));
        // The running kernel's own module loads (its vermagic is the kernel's) and serves the configuration it was
        // built with, every line of linux-fixture.config included.
        var module = transcript.Find("module")!;
        Assert.True(module.Succeeded, string.Join('\n', module.Output));
        Assert.Empty(LinuxTree.ConfigLines(LinuxTree.ConfigFragment).Except(module.Output));
    }

    [Fact]
    public async Task The_forwarded_port_on_127_0_0_1_reaches_a_server_on_the_guests_port_22()
    {
        using var dir = new TempDir();
        var free = new TcpListener(IPAddress.Loopback, 0);
        free.Start();
        var port = ((IPEndPoint)free.LocalEndpoint).Port;
        free.Stop();
        // QEMU's user network gives the guest 10.0.2.15; the virtio NIC is the kernel's eth0.
        var script = new GuestScript()
            .Line(GuestScript.Step("nic", "ifconfig eth0 10.0.2.15 netmask 255.255.255.0 up && ls /sys/class/net"))
            .Line(GuestScript.Step("serve", "echo hello from the guest | nc -l -p 22"));
        Task<string>? client = null;

        var (vm, transcript, log) = Boot(dir, script, HangGuard.Bound, step =>
        {
            if (step == "serve") client = Task.Run(() => ReadLine(port));
        }, sshPort: port);

        Assert.True(transcript.Completed && !vm.TimedOut, File.ReadAllText(log));
        Assert.Equal(["eth0", "lo"], transcript.Find("nic")!.Output);
        Assert.Equal("hello from the guest", await client!);
        Assert.True(transcript.Find("serve")!.Succeeded);
    }

    /// <summary>The first line from 127.0.0.1:port, trying until the guest's server listens (QEMU accepts before it does).</summary>
    private static string ReadLine(int port)
    {
        string? line = null;
        HangGuard.Until(() =>
        {
            try
            {
                using var tcp = new TcpClient();
                tcp.Connect(IPAddress.Loopback, port);
                using var reader = new StreamReader(tcp.GetStream());
                line = reader.ReadLine();
            }
            catch (Exception e) when (e is IOException or SocketException) { }
            return line != null;
        }, $"a line from 127.0.0.1:{port}");
        return line!;
    }

    [Fact]
    public async Task A_guest_that_hangs_is_stopped_at_the_timeout_and_names_its_step()
    {
        using var dir = new TempDir();
        // The step sleeps longer than the hang guard: a guest not stopped at its timeout fails as a hang.
        var script = new GuestScript().Line(GuestScript.Step("hang", "sleep 3600"));
        var started = Stopwatch.StartNew();

        var booted = Task.Run(() => Boot(dir, script, TimeSpan.FromSeconds(30)));
        HangGuard.Ended(booted, "the guest's stop at its 30 s timeout");
        var (vm, transcript, _) = await booted;

        Assert.True(vm.TimedOut);
        Assert.Null(vm.ExitCode);
        Assert.False(transcript.Completed);
        Assert.Equal("hang", transcript.Unfinished);
        Assert.True(started.Elapsed >= TimeSpan.FromSeconds(30), $"stopped after {started.Elapsed.TotalSeconds:0.0} s, before its timeout");
    }

    [Fact]
    public async Task Cancelling_stops_the_guest_without_waiting_for_it()
    {
        using var dir = new TempDir();
        // QemuMachine ends QEMU at the cancel without waiting for the guest (0.1 s idle). What a loaded machine
        // cannot blur is a kill from a wait: the guest's step and its timeout both outlast the hang guard, so a
        // cancel that waited for either fails as a hang; the figure is logged.
        var script = new GuestScript().Line(GuestScript.Step("hang", "sleep 3600"));
        using var cancel = new CancellationTokenSource();
        var cancelled = new Stopwatch();

        var booted = Task.Run(() => Boot(dir, script, TimeSpan.FromHours(2), step =>
        {
            cancelled.Start();
            cancel.Cancel();
        }, cancel.Token));
        HangGuard.Ended(booted, "the guest's stop at the cancel");

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => booted);
        Assert.True(cancelled.IsRunning, "the guest never reached its step");
        output.WriteLine($"stopped {cancelled.Elapsed.TotalSeconds:0.00} s after the cancel");
    }
}
