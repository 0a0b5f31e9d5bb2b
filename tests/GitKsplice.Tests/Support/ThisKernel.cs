namespace GitKsplice.Tests.Support;

/// <summary>The kernel this machine runs, as the live tests against it (here and over ssh to 127.0.0.1) expect it.</summary>
public static class ThisKernel
{
    /// <summary>Whether it can take livepatches (CONFIG_LIVEPATCH): the live tests expect a refusal where it cannot.</summary>
    public static readonly bool HasLivepatch = Directory.Exists("/sys/kernel/livepatch");

    public static readonly string Release = ProcessRunner.Run("/", "uname", ["-r"]).StdOut.Trim();
}
