using GitKsplice.Images;
using GitKsplice.Tests.Support;
using Xunit.Abstractions;

namespace GitKsplice.Tests.Live;

/// <summary>
/// git ksplice apply, view and undo on the Linux tests' kernel booted under QEMU with an ssh server, reached only at
/// 127.0.0.1 through QEMU's restricted user network: updates built by git ksplice create from the fixture's tree.
/// </summary>
[Collection(LinuxTreeCollection.Name)]
[Trait(TestCategory.Name, TestCategory.Linux)]
[Trait(TestCategory.Name, TestCategory.Vm)]
[Trait(TestCategory.Name, TestCategory.Ssh)]
public class LiveVmTests(ITestOutputHelper output)
{
    private static LinuxTree Linux => LinuxTree.Shared;

    [Fact]
    public void A_series_of_two_is_applied_in_order_viewed_and_undone_newest_first_over_ssh()
    {
        const string cmdline = "fs/proc/cmdline.c", version = "fs/proc/version.c";
        var first = Linux.CommitOn(Linux.Base, "cmdline: marked by the first update",
            (cmdline, LinuxTree.Replace("\tseq_puts(m, saved_command_line);\n", "\tseq_puts(m, \"live-one \");\n\tseq_puts(m, saved_command_line);\n")));
        var second = Linux.CommitOn(first, "version: marked by the second update",
            (version, LinuxTree.Replace("\tseq_printf(m, linux_proc_banner,", "\tseq_puts(m, \"live-two \");\n\tseq_printf(m, linux_proc_banner,")));
        // pipe_read, which a reader of an empty pipe sleeps in: its transition waits for that reader.
        var pipe = Linux.CommitOn(second, "pipe: a read of no pipe reads nothing",
            ("fs/pipe.c", LinuxTree.Replace("\tif (unlikely(total_len == 0))\n\t\treturn 0;\n\n\tret = 0;", "\tif (unlikely(total_len == 0 || !pipe))\n\t\treturn 0;\n\n\tret = 0;")));
        try
        {
            Create("--series", "--id", "live-one", first);
            Create("--series", "--id", "live-two", second);
            Create("--id", "live-pipe", pipe);
        }
        finally
        {
            // The next tests' updates are made on the running kernel's source again.
            var reset = Linux.Repo.Ksplice("series", "set", Linux.Base);
            Assert.True(reset.ExitCode == 0, reset.All);
        }
        // Another build of the same release whose cmdline_proc_show lies elsewhere. (The build tree's own
        // vmlinux cannot serve: built from the same source with a section per function, ld lays it out exactly
        // as the running kernel, System.map byte for byte.)
        using var otherBuild = new TempDir();
        File.WriteAllLines(otherBuild["System.map"], File.ReadLines(Path.Combine(Path.GetDirectoryName(Linux.KernelImage)!, "System.map"))
            .Select(line => line.EndsWith(" cmdline_proc_show", StringComparison.Ordinal) ? $"{Convert.ToUInt64(line[..16], 16) + 0x40:x16}{line[16..]}" : line));

        new LiveScenario(Linux.Repo.Root, Linux.KernelImage, output)
            .SeriesOfTwo("live-one", "live-two", "live-one ", "live-two ", otherBuild.Path, "live-pipe");
    }

    private static void Create(params string[] args)
    {
        var r = ProcessRunner.Run(Linux.Repo.Root, "git", ["ksplice", "create", .. args], timeoutMs: 1_800_000);
        Assert.True(r.ExitCode == 0, $"git ksplice create {string.Join(' ', args)}: {r.All}");
    }
}
