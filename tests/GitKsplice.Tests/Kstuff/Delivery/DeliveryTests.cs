using GitKsplice.Tests.Support;

namespace GitKsplice.Tests.Kstuff.Delivery;

/// <summary>git kstuff end to end against the test sshd on 127.0.0.1, the target root a temporary directory.</summary>
[Trait(TestCategory.Name, TestCategory.Ssh)]
[Collection(SshCollection.Name)]
public class DeliveryTests(SshServer sshd)
{
    private static void Ok(RunResult r) => Assert.True(r.ExitCode == 0, $"exit {r.ExitCode}\n{r.All}");

    [Fact]
    public void A_full_delivery_merges_builds_and_installs_a_named_kernel()
    {
        using var w = new DeliveryWorld(sshd);
        var r = w.Kstuff(["-b", "-n", "newdrv", DeliveryWorld.Host("test1")]);
        Ok(r);

        // Master from the source with the target's major; System from the target; the target's hardware
        // driver kept with its object, its software driver left out; source-only: kerntp and -n.
        var conf = "etc/conf.test1/";
        Assert.Contains("\t41\n", w.ReadTarget(conf + "mdevice.d/foo"));
        Assert.Equal("foo object v1\n", w.ReadTarget(conf + "pack.d/foo/Driver.o"));
        Assert.Equal("hw object\n", w.ReadTarget(conf + "pack.d/hwonly/Driver.o"));
        Assert.False(File.Exists(w.Target(conf + "mdevice.d/swonly")));
        Assert.True(File.Exists(w.Target(conf + "mdevice.d/ktest")));
        Assert.True(File.Exists(w.Target(conf + "mdevice.d/newdrv")));
        Assert.False(File.Exists(w.Target(conf + "mdevice.d/srcdrv")));
        Assert.Equal("hwonly init\n", w.ReadTarget(conf + "init.d/hwonly"));
        Assert.Equal("NPROC 400\n", w.ReadTarget(conf + "cf.d/stune"));
        Assert.Equal("#define KSTUFF 2\n", w.ReadTarget(conf + "include.d/sys/kstuff.h"));

        // The kernel is the stand-in idbuild's output for that tree.
        var kernel = w.ReadTarget("stand/test1");
        Assert.StartsWith("KERNEL\n", kernel);
        Assert.Contains("configured foo", kernel);
        Assert.Contains("configured hwonly", kernel);
        Assert.DoesNotContain("swonly", kernel);
        var idbuildLog = w.ReadTarget("var/idbuild.log");
        Assert.Matches(@"^idbuild -B -I \S+/etc/\.kstuff\.test1/include\.d -O \S+/etc/\.kstuff\.test1/cf\.d/unix ROOT=\S+/etc/\.kstuff\.test1/\.kstuff-root MACH=\.\n$", idbuildLog);
        // idmknod for the source-only drivers, never removing nodes; their nodes exist now.
        Assert.Matches(@"idmknod -o \S+/dev -r \S+ -s -M ktest -M newdrv\n", w.ReadTarget("var/idmknod.log"));
        Assert.True(File.Exists(w.Target("dev/newdrv0")));

        // The live configuration and kernel are untouched; nothing of ours is left behind.
        Assert.Equal("the running kernel\n", w.ReadTarget("stand/unix"));
        Assert.Equal(["conf", "conf.test1"], Directory.GetDirectories(w.Target("etc")).Select(d => Path.GetFileName(d)!).Order().ToArray());
        Assert.False(Directory.Exists(Path.Combine(w.Repo.Root, ".git/kstuff")) && Directory.EnumerateFileSystemEntries(Path.Combine(w.Repo.Root, ".git/kstuff")).Any());
        Assert.Equal("", w.Repo.Git("status", "--porcelain"));

        // The delivery is in the bundle's note and in git kstuff log.
        var log = w.Repo.Kstuff("log");
        Ok(log);
        Assert.Matches(@"kstuff-test \(root \S+\):test1  normal  ok", log.StdOut);
        Assert.Contains("kstuff-delivery:", w.Repo.Git("notes", "--ref=kstuff", "show", "HEAD"));
    }

    [Fact]
    public void The_default_kname_is_unix_dot_login()
    {
        using var w = new DeliveryWorld(sshd);
        Ok(w.Kstuff(["-bq", SshServer.HostAlias]));
        Assert.True(File.Exists(w.Target("stand/unix.tester")));
        Assert.True(Directory.Exists(w.Target("etc/conf.unix.tester")));
    }
}
