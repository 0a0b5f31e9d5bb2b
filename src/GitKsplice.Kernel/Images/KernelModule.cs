using System.Text;
using GitKsplice.Elf;
using GitKsplice.Reporting;

namespace GitKsplice.Images;

/// <summary>
/// A loadable kernel module (.ko) as the kernel's loader sees it: its name and vermagic from .modinfo, which
/// decide whether it loads into a given kernel at all.
/// </summary>
public sealed record KernelModule(string Name, string Vermagic, bool Livepatch, byte[] Bytes)
{
    /// <summary>The kernel release the module was built for: the first word of its vermagic.</summary>
    public string Release => Vermagic.Split(' ', 2)[0];

    public static KernelModule Read(byte[] bytes, string displayName)
    {
        ElfFile elf;
        try { elf = new ElfFile(bytes, displayName); }
        catch (ElfFormatException e) { throw new UserError($"not a kernel module: {e.Message}"); }
        var modinfo = elf.Sections.FirstOrDefault(s => s.Name == ".modinfo")
            ?? throw new UserError($"not a kernel module (no .modinfo section): {displayName}");
        var fields = Encoding.UTF8.GetString(modinfo.Contents.Span)
            .Split('\0', StringSplitOptions.RemoveEmptyEntries)
            .Select(f => f.Split('=', 2))
            .Where(kv => kv.Length == 2)
            .ToLookup(kv => kv[0], kv => kv[1]);
        var vermagic = fields["vermagic"].FirstOrDefault()
            ?? throw new UserError($"kernel module {displayName} has no vermagic");
        // modpost names the module in .modinfo; an older module is named by its file, as insmod would.
        var name = fields["name"].FirstOrDefault()
            ?? System.IO.Path.GetFileNameWithoutExtension(displayName).Replace('-', '_');
        if (!KernelModuleName.IsValid(name))
            throw new UserError($"kernel module {displayName} names itself {Quoted.Name(name)}, which is not a module name the kernel allows (letters, digits and '_', at most {KernelModuleName.MaxLength} bytes)");
        return new KernelModule(name, vermagic, fields["livepatch"].Contains("Y"), bytes);
    }
}
