using System.Buffers.Binary;
using GitKsplice.Reporting;

namespace GitKsplice.Vm;

/// <summary>The programs a VM needs from the machine, each missing one named with the Debian package that has it.</summary>
public static class VmTools
{
    public const string QemuProgram = "qemu-system-x86_64";

    public static string Qemu() =>
        FindOnPath(QemuProgram) ?? throw new UserError($"{QemuProgram} not found: install Debian's qemu-system-x86 package");

    /// <summary>
    /// A statically linked busybox, the guest's whole userland: the initramfs holds no C library. Debian's
    /// busybox-static installs it as /bin/busybox; the busybox package's binary there is dynamic and will not do.
    /// </summary>
    public static string StaticBusybox()
    {
        var candidates = new[] { FindOnPath("busybox"), "/bin/busybox", "/usr/bin/busybox" }
            .OfType<string>().Where(File.Exists).Distinct().ToList();
        return candidates.FirstOrDefault(IsStaticExecutable) ?? throw new UserError(candidates.Count == 0
            ? "busybox not found: install Debian's busybox-static package"
            : $"{candidates[0]} is not statically linked: install Debian's busybox-static package");
    }

    private static string? FindOnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, program))
            .FirstOrDefault(File.Exists);

    /// <summary>An ELF64 executable without a PT_INTERP program header needs no dynamic loader.</summary>
    private static bool IsStaticExecutable(string path)
    {
        const uint ProgramInterpreter = 3;
        try
        {
            using var file = File.OpenRead(path);
            var header = new byte[64];
            if (file.Read(header) != 64 || header[0] != 0x7f || header[1] != 'E' || header[4] != 2 || header[5] != 1) return false;
            var phoff = (long)BinaryPrimitives.ReadUInt64LittleEndian(header.AsSpan(32));
            var phentsize = BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(54));
            var phnum = BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(56));
            if (phentsize < 4 || phnum == 0) return false;
            var table = new byte[phentsize * phnum];
            file.Position = phoff;
            file.ReadExactly(table);
            for (var i = 0; i < phnum; i++)
                if (BinaryPrimitives.ReadUInt32LittleEndian(table.AsSpan(i * phentsize)) == ProgramInterpreter) return false;
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
    }
}
