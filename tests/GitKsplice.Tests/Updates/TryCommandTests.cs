using GitKsplice.Tests.Support;

namespace GitKsplice.Tests.Updates;

/// <summary>git ksplice try refusing what it cannot load, before any guest boots; the Linux tests load real modules.</summary>
[Trait(TestCategory.Name, TestCategory.EndToEnd)]
public class TryCommandTests
{
    [Fact]
    public void Without_a_recorded_update_there_is_nothing_to_try()
    {
        using var repo = CTree.Create();
        var r = repo.Ksplice("try");
        Assert.Equal(1, r.ExitCode);
        Assert.Equal("fatal: no update is recorded: build one with git ksplice create\n", r.StdErr);
        Assert.Equal("", r.StdOut);
    }

    [Fact]
    public void An_update_of_a_plain_Makefile_tree_holds_no_module_to_load_and_nothing_is_recorded()
    {
        using var repo = CTree.Create();
        repo.Write("greet.c", CTree.Greet.Replace("return printf(\"hello, %s\\n\", name);", "return printf(\"hello, %s\\n\", name) + 1;"));
        var commit = repo.Commit("greet: shorter");
        Assert.Equal(0, repo.Ksplice("create", "--id", "plain01", commit).ExitCode);
        var note = repo.Git("notes", "--ref", "ksplice", "show", commit);

        var r = repo.Ksplice("try");

        Assert.Equal(1, r.ExitCode);
        Assert.Contains("fatal: update plain01 holds no livepatch module", r.StdErr);
        Assert.Equal(note, repo.Git("notes", "--ref", "ksplice", "show", commit));
    }

    [Fact]
    public void Unknown_ids_gone_tarballs_and_bad_timeouts_are_named()
    {
        using var repo = CTree.Create();
        repo.Write("greet.c", CTree.Greet.Replace("return printf(\"hello, %s\\n\", name);", "return printf(\"hello, %s\\n\", name) + 1;"));
        var commit = repo.Commit("greet: shorter");
        Assert.Equal(0, repo.Ksplice("create", "--id", "gone01", commit).ExitCode);
        File.Delete(repo.Path("ksplice-gone01.tar.gz"));

        Assert.Equal("fatal: no such update: 'nope'\n", repo.Ksplice("try", "nope").StdErr);
        var gone = repo.Ksplice("try", "gone01");
        Assert.Equal(1, gone.ExitCode);
        Assert.Equal($"fatal: the tarball of update gone01 is gone ({repo.Path("ksplice-gone01.tar.gz")}): build it again with git ksplice create\n", gone.StdErr);
        var timeout = repo.Ksplice("try", "--timeout", "0");
        Assert.Equal(129, timeout.ExitCode);
        Assert.Contains("--timeout must be positive", timeout.StdErr);
    }
}

/// <summary>try's --module: a module of the running kernel for the guest, refused before booting when it cannot load there.</summary>
public class TrialKernelModuleTests
{
    private static string Image(TempDir dir, string release)
    {
        // A bzImage's boot header: "HdrS", protocol 2.15, and the version string where 0x20e points.
        var bytes = new byte[0x4000];
        System.Text.Encoding.ASCII.GetBytes("HdrS").CopyTo(bytes, 0x202);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(0x206), 0x020f);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(0x20e), 0x3000 - 0x200);
        System.Text.Encoding.ASCII.GetBytes(release + " (builder@host) #1 Thu Nov 26 2026\0").CopyTo(bytes, 0x3000);
        File.WriteAllBytes(dir["bzImage"], bytes);
        return dir["bzImage"];
    }

    /// <summary>An ordinary module's shape: a .modinfo with its name and vermagic, compiled by gcc.</summary>
    private static string PlainModule(TempDir dir, string name, string release)
    {
        File.WriteAllText(dir[name + ".c"], $$"""
            __attribute__((section(".modinfo"), used)) static const char modinfo[] = "vermagic={{release}} mod_unload \0name={{name}}\0license=GPL";
            """ + "\n");
        var r = ProcessRunner.Run(dir.Path, "gcc", ["-c", "-o", dir[name + ".ko"], dir[name + ".c"]]);
        Assert.True(r.ExitCode == 0, r.All);
        return dir[name + ".ko"];
    }

    [RequiresFact(Tool.Gcc)]
    public void A_missing_file_a_livepatch_module_or_another_releases_module_is_refused_before_booting()
    {
        using var dir = new TempDir();
        var tarball = GitKsplice.Tests.Live.ModuleShapedUpdate.Write(dir.Path, "modtry", "6.1.192+");
        var image = Image(dir, "6.1.192+");
        var livepatch = dir["ksplice_modtry.ko"];
        string Refusal(string module) => Assert.Throws<GitKsplice.Reporting.UserError>(() => GitKsplice.Updates.UpdateTrial.Run(
            new GitKsplice.Updates.TrialRequest([new GitKsplice.Updates.TrialInput(GitKsplice.Updates.UpdateTarball.Open(tarball))], image, dir["serial.log"]) { KernelModules = [module] },
            _ => { }, CancellationToken.None)).Message;

        Assert.Equal($"no such kernel module: {dir["absent.ko"]}", Refusal(dir["absent.ko"]));
        Assert.Equal($"{livepatch} is a livepatch module: name the update it belongs to instead", Refusal(livepatch));
        var other = PlainModule(dir, "configs", "6.1.0");
        Assert.Equal($"kernel module {other} is built for kernel 6.1.0, but {image} is 6.1.192+: give the running kernel's own modules", Refusal(other));
        Assert.False(File.Exists(dir["serial.log"])); // no guest was started
    }
}
