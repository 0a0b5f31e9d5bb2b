using GitKsplice.Kstuff.Targets;
using GitKsplice.Tests.Support;
using GitKsplice.Transport;

namespace GitKsplice.Tests.Kstuff.Targets;

/// <summary>The installs run with the real sh on real files in a local target root.</summary>
public class InstallPlanTests
{
    /// <summary>A target root as a UnixWare system has it, with a built tree waiting in /etc/.kbundle.</summary>
    private static TempDir UnixTarget()
    {
        var root = new TempDir();
        root.Write("etc/conf/mdevice.d/old", "old master\n");
        root.Write("etc/conf/bin/idbuild", "#!/bin/sh\n");
        root.Write("etc/conf.unix.old/mdevice.d/older", "older master\n");
        root.Write("usr/include/sys/types.h", "old types\n");
        root.Write("usr/include/stdio.h", "stdio\n");
        root.Write("stand/unix", "old kernel\n");
        root.Write("stand/unix.old", "older kernel\n");
        root.Write("etc/.kbundle/mdevice.d/new", "new master\n");
        root.Write("etc/.kbundle/cf.d/unix", "new kernel\n");
        root.Write("etc/.kbundle/include.d/sys/types.h", "new types\n");
        root.Write("etc/.kbundle/include.d/sys/newdir/new.h", "brand new\n");
        return root;
    }

    private static HostRun RunPlan(TempDir root, InstallPlan plan, string kname, int? failAfter = null)
    {
        var target = KernelHost.Open(HostAddress.Local(root.Path, "local:", "/"), []);
        var layout = new TargetLayout(kname);
        var (script, args) = plan.Render(target.PathOf(layout.UndoDir), target.PathOf(layout.InstallLog), failAfter);
        return target.Run(script, args);
    }

    private static InstallPlan Rotation(TempDir root) =>
        InstallPlans.UnixRotation(KernelHost.Open(HostAddress.Local(root.Path, "local:", "/"), []));

    [Fact]
    public void The_unix_rotation_does_every_step_of_the_man_page()
    {
        using var root = UnixTarget();
        var run = RunPlan(root, Rotation(root), "unix");
        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Contains(InstallPlan.SuccessLine, run.Output);
        Assert.Equal("new master\n", File.ReadAllText(root["etc/conf/mdevice.d/new"]));
        Assert.Equal("old master\n", File.ReadAllText(root["etc/conf.unix.old/mdevice.d/old"]));
        Assert.False(File.Exists(root["etc/conf.unix.old/mdevice.d/older"]));
        // The include files the new kernel replaces were saved with the old tree, then replaced.
        Assert.Equal("old types\n", File.ReadAllText(root["etc/conf.unix.old/include.d/sys/types.h"]));
        Assert.False(File.Exists(root["etc/conf.unix.old/include.d/stdio.h"]));
        Assert.Equal("new types\n", File.ReadAllText(root["usr/include/sys/types.h"]));
        Assert.Equal("brand new\n", File.ReadAllText(root["usr/include/sys/newdir/new.h"]));
        Assert.Equal("stdio\n", File.ReadAllText(root["usr/include/stdio.h"]));
        Assert.Equal("old kernel\n", File.ReadAllText(root["stand/unix.old"]));
        Assert.Equal("new kernel\n", File.ReadAllText(root["stand/unix"]));
        // The new tree had no idtools: they moved in from the old one.
        Assert.True(File.Exists(root["etc/conf/bin/idbuild"]));
        Assert.False(Directory.Exists(root["etc/conf.unix.old/bin"]));
        Assert.False(Directory.Exists(root["etc/.kbundle"]));
        // Nothing of ours is left over.
        Assert.Equal(["unix", "unix.old"], Directory.GetFiles(root["stand"]).Select(f => Path.GetFileName(f)!).Order().ToArray());
        Assert.False(Directory.Exists(root["etc/.kstuff-undo.unix"]));
    }

    [Fact]
    public void A_failure_after_any_step_of_the_rotation_leaves_the_target_as_it_was()
    {
        using var probe = UnixTarget();
        var steps = Rotation(probe).Steps.Count;
        Assert.Equal(8, steps);
        for (var k = 1; k <= steps; k++)
        {
            using var root = UnixTarget();
            var before = TreeSnapshot.Take(root.Path);
            var run = RunPlan(root, Rotation(root), "unix", failAfter: k);
            Assert.NotEqual(0, run.ExitCode);
            Assert.Contains(InstallPlan.UndoneLine, run.Output);
            File.Delete(root["etc/.kstuff-install.unix.log"]);
            Assert.True(before.SequenceEqual(TreeSnapshot.Take(root.Path)),
                $"after failing at step {k}:\n{TreeSnapshot.Describe(TreeSnapshot.Take(root.Path))}\n--- expected\n{TreeSnapshot.Describe(before)}");
        }
    }

    [Fact]
    public void A_real_failure_in_the_last_step_is_named_and_undone()
    {
        using var root = UnixTarget();
        File.Delete(root["etc/.kbundle/cf.d/unix"]);
        var before = TreeSnapshot.Take(root.Path);
        var run = RunPlan(root, Rotation(root), "unix");
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("kstuff: step failed: install the kernel as /stand/unix", run.Output);
        File.Delete(root["etc/.kstuff-install.unix.log"]);
        Assert.True(before.SequenceEqual(TreeSnapshot.Take(root.Path)), TreeSnapshot.Describe(TreeSnapshot.Take(root.Path)));
    }

    [Fact]
    public void A_named_kernel_replaces_its_tree_and_kernel_and_each_step_undoes()
    {
        static TempDir Named()
        {
            var root = new TempDir();
            root.Write("etc/conf.test/mdevice.d/a", "old\n");
            root.Write("stand/test", "old kernel\n");
            root.Write("etc/.kstuff.test/mdevice.d/a", "new\n");
            root.Write("etc/.kstuff.test/cf.d/unix", "new kernel\n");
            return root;
        }
        InstallPlan Plan(TempDir r) => InstallPlans.Named(KernelHost.Open(HostAddress.Local(r.Path, "local:", "/"), []), new TargetLayout("test"), true, true);
        using (var root = Named())
        {
            var run = RunPlan(root, Plan(root), "test");
            Assert.True(run.ExitCode == 0, run.Output);
            Assert.Equal("new\n", File.ReadAllText(root["etc/conf.test/mdevice.d/a"]));
            Assert.Equal("new kernel\n", File.ReadAllText(root["stand/test"]));
            Assert.Equal(["test"], Directory.GetFiles(root["stand"]).Select(f => Path.GetFileName(f)!).ToArray());
            Assert.Equal(["conf.test"], Directory.GetDirectories(root["etc"]).Select(f => Path.GetFileName(f)!).ToArray());
        }
        for (var k = 1; k <= 3; k++)
        {
            using var root = Named();
            var before = TreeSnapshot.Take(root.Path);
            Assert.NotEqual(0, RunPlan(root, Plan(root), "test", failAfter: k).ExitCode);
            File.Delete(root["etc/.kstuff-install.test.log"]);
            Assert.True(before.SequenceEqual(TreeSnapshot.Take(root.Path)), $"step {k}: " + TreeSnapshot.Describe(TreeSnapshot.Take(root.Path)));
        }
    }
}
