using GitKsplice.Tests.Support;

namespace GitKsplice.Tests.Kstuff.Delivery;

/// <summary>The modes of kstuff(1) over the test sshd: -Q, -M then -I, kname unix, -c.</summary>
[Trait(TestCategory.Name, TestCategory.Ssh)]
[Collection(SshCollection.Name)]
public class DeliveryModeTests(SshServer sshd)
{
    private static void Ok(RunResult r) => Assert.True(r.ExitCode == 0, $"exit {r.ExitCode}\n{r.All}");

    [Fact]
    public void Quick_sends_only_the_driver_changed_in_a_later_commit_and_runs_idbuild_KQ()
    {
        using var w = new DeliveryWorld(sshd);
        Ok(w.Kstuff(["-bqK", DeliveryWorld.Host("dev")]));
        var before = w.ReadTarget("stand/dev");
        var hwBefore = File.GetLastWriteTimeUtc(w.Target("etc/conf.dev/pack.d/hwonly/Driver.o"));

        // A later commit changes foo; ktest is rewritten with the same bytes (newer, not changed).
        w.Source.File("pack.d/foo/Driver.o", "foo object v2\n");
        w.Source.File("pack.d/ktest/Driver.o", "ktest object\n");
        w.Repo.Write("driver/foo.c", "int foo = 2;\n");
        w.Repo.Commit("fix foo");
        File.Delete(w.Target("var/idbuild.log"));

        var r = w.Kstuff(["-bKQ", DeliveryWorld.Host("dev")]);
        Ok(r);
        Assert.Contains("Sending 1 changed Driver.o: foo", r.StdErr);
        Assert.Equal("foo object v2\n", w.ReadTarget("etc/conf.dev/pack.d/foo/Driver.o"));
        Assert.Equal(hwBefore, File.GetLastWriteTimeUtc(w.Target("etc/conf.dev/pack.d/hwonly/Driver.o")));
        Assert.Matches(@"^idbuild -B -K -Q -I \S+/etc/conf\.dev/include\.d -O \S+/etc/conf\.dev/cf\.d/unix ", w.ReadTarget("var/idbuild.log"));
        var after = w.ReadTarget("stand/dev");
        Assert.NotEqual(before, after);
        Assert.Contains("object foo", after);
        // No new bundle: the note still has one bundle record, on the first commit.
        Assert.Single(w.Repo.Git("log", "--notes=kstuff", "--format=%N").Split('\n'), l => l.StartsWith("kstuff-bundle:"));
        Assert.Matches(@"quick \(-Q\)  ok", w.Repo.Kstuff("log").StdOut);
        Assert.False(Directory.Exists(w.Target("etc/.kstuff-quick.dev")));
    }

    [Fact]
    public void Quick_is_for_batch_mode_only()
    {
        using var w = new DeliveryWorld(sshd);
        var r = w.Kstuff(["-Q", DeliveryWorld.Host("dev")]);
        Assert.Equal(129, r.ExitCode);
        Assert.Contains("fatal: -Q can only be used in batch mode (-b)", r.StdErr);
    }

    [Fact]
    public void Merge_only_then_idbuild_only()
    {
        using var w = new DeliveryWorld(sshd);
        Ok(w.Kstuff(["-bqM", DeliveryWorld.Host("m1")]));
        Assert.True(File.Exists(w.Target("etc/conf.m1/mdevice.d/foo")));
        Assert.False(File.Exists(w.Target("stand/m1")));
        Assert.False(File.Exists(w.Target("var/idbuild.log")));

        var r = w.Kstuff(["-bIKS#", DeliveryWorld.Host("m1")]);
        Ok(r);
        Assert.DoesNotContain("Sending", r.StdErr);
        Assert.StartsWith("KERNEL\n", w.ReadTarget("stand/m1"));
        Assert.Matches(@"^idbuild -B -K -S -# -I \S+/etc/conf\.m1/include\.d -O \S+/etc/conf\.m1/cf\.d/unix ", w.ReadTarget("var/idbuild.log"));
    }

    [Fact]
    public void Kname_unix_rotates_conf_includes_and_kernel()
    {
        using var w = new DeliveryWorld(sshd);
        DeliveryWorld.Write(w.Target("stand/unix.old"), "an older kernel\n");
        Ok(w.Kstuff(["-bq", DeliveryWorld.Host("unix")]));
        Assert.Equal("the running kernel\n", w.ReadTarget("stand/unix.old"));
        Assert.StartsWith("KERNEL\n", w.ReadTarget("stand/unix"));
        Assert.Equal("target foo object\n", w.ReadTarget("etc/conf.unix.old/pack.d/foo/Driver.o"));
        Assert.Equal("foo object v1\n", w.ReadTarget("etc/conf/pack.d/foo/Driver.o"));
        Assert.Equal("#define KSTUFF 1\n", w.ReadTarget("etc/conf.unix.old/include.d/sys/kstuff.h"));
        Assert.Equal("#define KSTUFF 2\n", w.ReadTarget("usr/include/sys/kstuff.h"));
        // The bundle had no idtools: the old tree's moved in.
        Assert.True(File.Exists(w.Target("etc/conf/bin/idbuild")));
        Assert.False(Directory.Exists(w.Target("etc/conf.unix.old/bin")));
        Assert.False(Directory.Exists(w.Target("etc/.kbundle")));
        Assert.Matches(@"-O \S+/etc/\.kbundle/cf\.d/unix", w.ReadTarget("var/idbuild.log"));

        // A second delivery rotates again: the first tree becomes conf.unix.old.
        Ok(w.Kstuff(["-bq", DeliveryWorld.Host("unix")]));
        Assert.Equal("foo object v1\n", w.ReadTarget("etc/conf.unix.old/pack.d/foo/Driver.o"));
        Assert.StartsWith("KERNEL\n", w.ReadTarget("stand/unix.old"));
    }

    [Fact]
    public void A_c_command_runs_on_the_target_between_merge_and_build()
    {
        using var w = new DeliveryWorld(sshd);
        var script = Path.Combine(w.Repo.Root, "tweak.sh");
        DeliveryWorld.Executable(script, """
            #!/bin/sh
            echo "args: $1 $2" > "$2/tweak.args"
            sed 's/	N	/	Y	/' "$2/sdevice.d/ktest" > "$2/sdevice.d/ktest.new" && mv "$2/sdevice.d/ktest.new" "$2/sdevice.d/ktest"
            echo "tweaked on $(uname -s)"
            """);
        w.Source.Driver("ktest", "ocr", cmaj: "60", configured: false, driverO: "ktest object\n");
        var r = w.Kstuff(["-b", "-c", "tweak.sh", DeliveryWorld.Host("c1")]);
        Ok(r);
        Assert.Contains("remote: tweaked on", r.StdErr);
        Assert.Matches(@"^args: \S+/etc/conf \S+/etc/\.kstuff\.c1\n$", w.ReadTarget("etc/conf.c1/tweak.args"));
        Assert.Contains("configured ktest", w.ReadTarget("stand/c1"));
        Assert.False(File.Exists(w.Target("etc/.kstuff-command.c1")));

        // -R defeats -c.
        File.Delete(w.Target("etc/conf.c1/tweak.args"));
        Ok(w.Kstuff(["-bq", "-c", "tweak.sh", "-R", DeliveryWorld.Host("c1")]));
        Assert.False(File.Exists(w.Target("etc/conf.c1/tweak.args")));
    }
}
