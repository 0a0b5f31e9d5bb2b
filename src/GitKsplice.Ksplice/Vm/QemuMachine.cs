using System.Diagnostics;
using System.Text;
using GitKsplice.Processes;
using GitKsplice.Reporting;

namespace GitKsplice.Vm;

/// <summary>What to boot: a kernel image, its initramfs and command line, and where the serial console is logged.</summary>
public sealed record VmRequest(string Kernel, string Initramfs, string SerialLog, TimeSpan Timeout)
{
    public string CommandLine { get; init; } = "console=ttyS0 panic=-1";
    public int MemoryMegabytes { get; init; } = 256;

    /// <summary>
    /// A port on 127.0.0.1 forwarded to the guest's port 22 (QEMU user networking with restrict=on: the guest
    /// reaches nothing, and only this port on the loopback address reaches it); null for no network at all.
    /// </summary>
    public int? SshPort { get; init; }
}

/// <summary>How a guest run ended: QEMU's exit code, or the timeout, and how long it ran.</summary>
public sealed record VmResult(int? ExitCode, bool TimedOut, TimeSpan Elapsed);

/// <summary>
/// Boots a kernel under qemu-system-x86_64 with no network (-nic none) or only a forwarded ssh port, no display and no reboot: the guest's
/// serial console is QEMU's standard output, logged line by line to a file and handed to the caller, and the
/// guest ends QEMU by rebooting (or panicking, with panic=-1). A timeout or a cancellation kills QEMU.
/// Always TCG (emulation, about 3 s to boot a tinyconfig kernel): on the machines this runs on a KVM guest
/// may hang silently after the firmware (measured on CI-like virtual machines: SeaBIOS prints, the kernel
/// never does), and telling that from a slow boot costs a timeout.
/// </summary>
public static class QemuMachine
{
    /// <summary>
    /// The guest's network card: none, or a virtio NIC on QEMU's user network restricted to the guest (restrict=on:
    /// no packet leaves it) whose only way in is 127.0.0.1:port forwarded to the guest's ssh server.
    /// </summary>
    public static string Nic(int? sshPort) => sshPort is not { } port ? "none"
        : port is > 0 and < 65536 ? $"user,model=virtio-net-pci,restrict=on,hostfwd=tcp:127.0.0.1:{port}-:22"
        : throw new ArgumentOutOfRangeException(nameof(sshPort), port, "not a TCP port");

    /// <summary>The guest's address on QEMU's user network, where the forwarded port arrives.</summary>
    public const string GuestAddress = "10.0.2.15";

    public static VmResult Run(VmRequest request, Action<string> onLine, CancellationToken cancel)
    {
        var qemu = VmTools.Qemu();
        var args = new List<string>
        {
            "-nographic", "-no-reboot", "-nic", Nic(request.SshPort),
            "-m", request.MemoryMegabytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-accel", "tcg",
            "-kernel", request.Kernel, "-initrd", request.Initramfs, "-append", request.CommandLine,
        };
        using var log = new StreamWriter(request.SerialLog, append: false, new UTF8Encoding(false)) { AutoFlush = true };
        var gate = new object();
        void Line(string? line)
        {
            if (line == null) return;
            lock (gate)
            {
                log.WriteLine(line);
                onLine(line);
            }
        }
        var started = Stopwatch.GetTimestamp();
        // Standard input is a pipe we never write: QEMU must not take over the user's terminal (raw mode, ^C to the guest).
        using var process = CommandRunner.Spawn(Path.GetDirectoryName(request.SerialLog)!, qemu, args);
        process.OutputDataReceived += (_, e) => Line(e.Data);
        process.ErrorDataReceived += (_, e) => Line(e.Data is null ? null : "qemu: " + e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        deadline.CancelAfter(request.Timeout);
        try
        {
            process.WaitForExitAsync(deadline.Token).GetAwaiter().GetResult();
        }
        catch (OperationCanceledException)
        {
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            process.WaitForExit();
            cancel.ThrowIfCancellationRequested();
            return new VmResult(null, true, Stopwatch.GetElapsedTime(started));
        }
        process.WaitForExit(); // drains the asynchronous readers
        PerformanceTrace.Ran(qemu, args, Stopwatch.GetElapsedTime(started));
        return new VmResult(process.ExitCode, false, Stopwatch.GetElapsedTime(started));
    }
}
