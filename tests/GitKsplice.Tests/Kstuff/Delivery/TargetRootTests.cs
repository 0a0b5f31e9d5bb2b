using GitKsplice.Tests.Support;

namespace GitKsplice.Tests.Kstuff.Delivery;

/// <summary>
/// A target with a root of its own (a mounted image, a chroot; here or on a host over ssh with --target-root):
/// every path resolves inside that root as a chroot would, in every target form, and a kernel name is a file
/// name in every form (issue 18 items 5 and 6).
/// </summary>
[Trait(TestCategory.Name, TestCategory.Ssh)]
[Collection(SshCollection.Name)]
public class TargetRootTests(SshServer sshd)
{
    private static void Ok(RunResult r) => Assert.True(r.ExitCode == 0, $"exit {r.ExitCode}\n{r.All}");

    /// <summary>Delivers kname into the world's target root, as local:DIR:kname or as host:kname with --target-root.</summary>
    private static RunResult Deliver(DeliveryWorld w, bool viaSsh, string kname, params string[] options) => viaSsh
        ? w.Kstuff([.. options, DeliveryWorld.Host(kname)])
        : w.Kstuff([.. options, $"local:{w.TargetRoot}:{kname}"], viaSsh: false);

    /// <summary>A directory of this machine (the host, for the test sshd) that a link of the image names; removed at the end.</summary>
    private sealed class HostDirectory : IDisposable
    {
        public string Name { get; } = "gks-root-" + Guid.NewGuid().ToString("N");
        public string Path => System.IO.Path.Combine("/tmp", Name);
        public HostDirectory() => Directory.CreateDirectory(Path);
        public bool IsEmpty => !Directory.EnumerateFileSystemEntries(Path).Any();
        public void Dispose() => Directory.Delete(Path, recursive: true);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void An_absolute_stand_link_is_the_roots_own_directory(bool viaSsh)
    {
        using var w = new DeliveryWorld(sshd);
        // The image's /stand links to /tmp/<name>: the image's own, as in a chroot. The host has a directory
        // of that name too, which the kernel must never reach.
        using var host = new HostDirectory();
        Directory.CreateDirectory(w.Target("tmp/" + host.Name));
        File.Move(w.Target("stand/unix"), w.Target($"tmp/{host.Name}/unix"));
        Directory.Delete(w.Target("stand"));
        File.CreateSymbolicLink(w.Target("stand"), host.Path);

        Ok(Deliver(w, viaSsh, "img", "-bq"));
        Assert.StartsWith("KERNEL\n", w.ReadTarget($"tmp/{host.Name}/img"));
        Assert.True(host.IsEmpty);

        // The unix rotation too: /stand/unix becomes /stand/unix.old inside the image.
        Ok(Deliver(w, viaSsh, "unix", "-bq"));
        Assert.Equal("the running kernel\n", w.ReadTarget($"tmp/{host.Name}/unix.old"));
        Assert.StartsWith("KERNEL\n", w.ReadTarget($"tmp/{host.Name}/unix"));
        Assert.True(host.IsEmpty);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void An_etc_linked_absolutely_and_a_stand_climbing_out_with_dots_stay_inside_the_root(bool viaSsh)
    {
        using var w = new DeliveryWorld(sshd);
        using var host = new HostDirectory();
        // /etc -> /tmp/<name>/etc (absolute), /stand -> ../../../../stand.real (more ".." than the root is deep).
        Directory.CreateDirectory(w.Target("tmp/" + host.Name));
        Directory.Move(w.Target("etc"), w.Target($"tmp/{host.Name}/etc"));
        File.CreateSymbolicLink(w.Target("etc"), Path.Combine(host.Path, "etc"));
        Directory.Move(w.Target("stand"), w.Target("stand.real"));
        File.CreateSymbolicLink(w.Target("stand"), "../../../../../../../../stand.real");

        Ok(Deliver(w, viaSsh, "unix", "-bq"));
        var etc = $"tmp/{host.Name}/etc/";
        Assert.Equal("the running kernel\n", w.ReadTarget("stand.real/unix.old"));
        Assert.StartsWith("KERNEL\n", w.ReadTarget("stand.real/unix"));
        Assert.Equal("foo object v1\n", w.ReadTarget(etc + "conf/pack.d/foo/Driver.o"));
        Assert.Equal("target foo object\n", w.ReadTarget(etc + "conf.unix.old/pack.d/foo/Driver.o"));
        Assert.True(host.IsEmpty);
        Assert.False(File.Exists("/stand.real/unix"));
    }

    [Fact]
    public void A_missing_root_on_the_host_is_named_before_anything_is_written()
    {
        using var w = new DeliveryWorld(sshd);
        var missing = w.TargetRoot + "-missing";
        var r = w.Kstuff(["-bq", "--target-root", missing, DeliveryWorld.Host("img")], viaSsh: false);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains($"the target's root {missing} is not a directory", r.StdErr);
        Assert.False(Directory.Exists(missing));
    }

    [Fact]
    public void An_include_directory_linked_out_of_the_root_is_refused_over_ssh_and_the_rotation_undone()
    {
        using var w = new DeliveryWorld(sshd);
        using var outside = new TempDir();
        Directory.Delete(w.Target("usr/include/sys"), recursive: true);
        File.CreateSymbolicLink(w.Target("usr/include/sys"), outside.Path);
        var before = w.TargetSnapshot();
        var r = Deliver(w, viaSsh: true, "unix", "-b");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("outside the target's root", r.StdErr);
        Assert.Empty(Directory.EnumerateFileSystemEntries(outside.Path));
        Assert.True(before.SequenceEqual(w.TargetSnapshot()), TreeSnapshot.Describe(w.TargetSnapshot()));
    }

    public static TheoryData<string, string> PathNames => new()
    {
        { "local", "../../other" }, { "local", "a/b" }, { "local", ".." },
        { "root", "../../other" }, { "root", "a/b" },
        { "ssh", "../../other" }, { "ssh", ".." }, { "ssh", "a/b" },
        { "typed", "../../other" }, { "typed-local", "../../other" },
    };

    [Theory]
    [MemberData(nameof(PathNames))]
    public void A_kernel_name_that_is_a_path_is_refused_in_every_form(string form, string kname)
    {
        using var w = new DeliveryWorld(sshd);
        var before = w.TargetSnapshot();
        var outside = Path.Combine(Path.GetDirectoryName(w.TargetRoot)!, "other");
        var r = form switch
        {
            "local" => w.Kstuff(["-b", $"local:{w.TargetRoot}:{kname}"], viaSsh: false),
            "root" => w.Kstuff(["-b", DeliveryWorld.Host(kname)]),
            "ssh" => w.Kstuff(["-b", DeliveryWorld.Host(kname)], viaSsh: false),
            // The interactive menu: the kernel, then the target as typed.
            "typed" => w.Kstuff([], stdin: $"1\n{DeliveryWorld.Host(kname)}\n", viaSsh: false),
            _ => w.Kstuff([], stdin: $"1\nlocal:{w.TargetRoot}:{kname}\n", viaSsh: false),
        };
        Assert.Equal(1, r.ExitCode);
        // One error, the last line (the menu's prompts have no newline of their own).
        Assert.EndsWith($"fatal: bad kernel name '{kname}': use letters, digits, '.', '_', '+' and '-' (not starting with '-' or '.'), at most 64\n", r.StdErr);
        Assert.Single(r.StdErr.Split("fatal:").Skip(1));
        Assert.False(Directory.Exists(outside));
        Assert.True(before.SequenceEqual(w.TargetSnapshot()));
        Assert.False(File.Exists(w.Target("var/idbuild.log")));
    }
}
