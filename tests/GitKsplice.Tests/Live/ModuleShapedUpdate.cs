using GitKsplice.Livepatch;
using GitKsplice.Tests.Support;
using GitKsplice.Updates;

namespace GitKsplice.Tests.Live;

/// <summary>
/// An update tarball whose module is a gcc-compiled object carrying a livepatch module's .modinfo (name,
/// vermagic, livepatch=Y), with a manifest naming it: everything apply reads and checks before a target loads
/// anything. It never reaches a kernel (the Linux tests load real modules); a System.map beside it lists the
/// functions it claims to replace.
/// </summary>
internal static class ModuleShapedUpdate
{
    public static string Write(string dir, string id, string release, string? post = null, string? sha256Override = null)
    {
        var name = LivepatchModule.ModuleName(id);
        var source = Path.Combine(dir, name + ".c");
        File.WriteAllText(source, $$"""
            __attribute__((section(".modinfo"), used)) static const char modinfo[] =
                "vermagic={{release}} mod_unload \0name={{name}}\0livepatch=Y\0license=GPL";
            """ + "\n");
        var obj = Path.Combine(dir, name + ".ko");
        var cc = ProcessRunner.Run(dir, "gcc", ["-c", "-o", obj, source]);
        if (cc.ExitCode != 0) throw new InvalidOperationException("gcc failed: " + cc.All);
        var bytes = File.ReadAllBytes(obj);
        var module = new LivepatchModule
        {
            File = LivepatchModule.FileName(id),
            Name = name,
            Sha256 = sha256Override ?? Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)),
            KernelRelease = release,
            KernelReleaseSource = "bzImage in ORIG_CONFIG",
            SymbolPositionsSource = "System.map in ORIG_CONFIG",
            Objects = [new PatchedObject("vmlinux", [new PatchedFunction("cmdline_proc_show", 0)])],
        };
        var zero = new string('0', 40);
        var manifest = new Manifest
        {
            Id = UpdateId.Parse(id), Pre = zero, PreTree = zero, Post = post ?? zero, PostTree = zero, Source = "test", Compiler = "gcc",
            BuildCommand = "make", CompilerFlags = "", Objects = [], Module = module,
        };
        var tarball = Path.Combine(dir, UpdateStore.TarballName(UpdateId.Parse(id)));
        UpdateArchive.WriteTo(tarball, UpdateStore.TarballRoot(UpdateId.Parse(id)),
        [
            new ArchiveFile(UpdateArchive.ManifestName, () => new MemoryStream(System.Text.Encoding.UTF8.GetBytes(manifest.ToJson()))),
            new ArchiveFile(module.File, () => new MemoryStream(bytes)),
        ], DateTime.UnixEpoch);
        Directory.CreateDirectory(Path.Combine(dir, "config"));
        File.WriteAllText(Path.Combine(dir, "config", "System.map"), "ffffffff81000000 T _text\nffffffff81100000 t cmdline_proc_show\n");
        return tarball;
    }
}
