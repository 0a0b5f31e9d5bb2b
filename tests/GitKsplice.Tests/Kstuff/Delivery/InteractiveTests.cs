using GitKsplice.Tests.Support;

namespace GitKsplice.Tests.Kstuff.Delivery;

/// <summary>Interactive mode fed on standard input, pre-built bundles from a database, and local targets.</summary>
[Trait(TestCategory.Name, TestCategory.Ssh)]
[Collection(SshCollection.Name)]
public class InteractiveTests(SshServer sshd)
{
    private static void Ok(RunResult r) => Assert.True(r.ExitCode == 0, $"exit {r.ExitCode}\n{r.All}");

    [Fact]
    public void The_menu_offers_database_kernels_and_ROOT_MACH_then_asks_for_the_host()
    {
        using var w = new DeliveryWorld(sshd);
        // A pre-built bundle whose build tree is not visible: built once, then kept elsewhere.
        Ok(w.Kstuff(["bundle", "-q"], viaSsh: false));
        var prebuilt = Path.Combine(w.Home, "nightly.Z");
        File.Copy(Path.Combine(w.BuildTree, "etc/conf/kstuff.d/bundle.Z"), prebuilt);
        var db = Path.Combine(w.Home, "kernels.db");
        File.WriteAllText(db, $"# integration kernels\n/int/nightly:i386at:{prebuilt}:1:nightly build\n");

        var r = w.Kstuff(["-d", db], stdin: "1\nkstuff-test:nightly\n");
        Ok(r);
        Assert.Contains("  1) nightly build (/int/nightly:i386at, pre-built)\n", r.StdErr);
        Assert.Contains($"  2) $ROOT/$MACH ({w.BuildTree})\n", r.StdErr);
        Assert.Contains("Select a kernel [1-2]: ", r.StdErr);
        Assert.Contains("hostname or hostname:kernelname: ", r.StdErr);
        Assert.Contains("pre-built", r.StdErr);
        Assert.StartsWith("KERNEL\n", w.ReadTarget("stand/nightly"));
    }

    [Fact]
    public void A_wrong_answer_is_asked_again_and_end_of_input_stops()
    {
        using var w = new DeliveryWorld(sshd);
        var r = w.Kstuff(["-q"], stdin: "7\nx\n1\n", viaSsh: false);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("'7' is not one of 1-1", r.StdErr);
        Assert.EndsWith("fatal: no host given (end of input)\n", r.StdErr);
        Assert.False(File.Exists(w.Target("var/idbuild.log")));

        r = w.Kstuff([], stdin: "", viaSsh: false);
        Assert.EndsWith("fatal: no kernel selected (end of input)\n", r.StdErr);
    }

    [Fact]
    public void A_local_target_needs_no_ssh()
    {
        using var w = new DeliveryWorld();
        Ok(w.Kstuff(["-bq", $"local:{w.TargetRoot}:loc"], viaSsh: false));
        Assert.StartsWith("KERNEL\n", w.ReadTarget("stand/loc"));
        Ok(w.Kstuff(["-bq", "--target-root", w.TargetRoot], viaSsh: false));
        Assert.StartsWith("KERNEL\n", w.ReadTarget("stand/unix.tester"));
        Assert.Matches(@"local:\S+:loc  normal  ok", w.Repo.Kstuff("log").StdOut);
    }

    [Fact]
    public void Merge_only_unix_waits_in_kbundle_and_idbuild_only_rotates_it_in()
    {
        using var w = new DeliveryWorld(sshd);
        var r = w.Kstuff(["-bM", DeliveryWorld.Host("unix")]);
        Ok(r);
        Assert.Contains("Merged tree left in", r.StdErr);
        Assert.True(Directory.Exists(w.Target("etc/.kbundle")));
        Assert.Equal("the running kernel\n", w.ReadTarget("stand/unix"));
        Ok(w.Kstuff(["-bqI", DeliveryWorld.Host("unix")]));
        Assert.False(Directory.Exists(w.Target("etc/.kbundle")));
        Assert.Equal("the running kernel\n", w.ReadTarget("stand/unix.old"));
        Assert.Equal("foo object v1\n", w.ReadTarget("etc/conf/pack.d/foo/Driver.o"));
    }
}
