using GitKsplice.Kstuff.Bundles;
using GitKsplice.Kstuff.Options;
using GitKsplice.Reporting;

namespace GitKsplice.Kstuff.Delivery;

/// <summary>A kernel the interactive menu offers: a database entry, or the tree at $ROOT/$MACH.</summary>
public sealed record KernelChoice(string Label, string Root, string Mach, DatabaseEntry? Entry)
{
    public static KernelChoice FromDatabase(DatabaseEntry e) =>
        new(e.Comment.Trim().Length > 0 ? $"{e.Comment.Trim()} ({e.Root}:{e.Mach}{(e.PreBuilt ? ", pre-built" : "")})" : $"{e.Root}:{e.Mach}{(e.PreBuilt ? " (pre-built)" : "")}",
            e.Root, e.Mach, e);

    /// <summary>The menu: every database entry, then $ROOT/$MACH when that tree exists and no entry names it.</summary>
    public static List<KernelChoice> All(IReadOnlyList<DatabaseFile> databases, MachineTree? configured)
    {
        var choices = databases.SelectMany(d => d.Entries).Select(FromDatabase).ToList();
        if (configured != null && Directory.Exists(configured.Path) && !choices.Any(c => c.Root == configured.Root && c.Mach == configured.Mach))
            choices.Add(new KernelChoice($"$ROOT/$MACH ({configured.Path})", configured.Root, configured.Mach, null));
        return choices;
    }

    /// <summary>The chosen kernel's tree, with the cross environment's idtools from the settings.</summary>
    public MachineTree Tree(KstuffSettings settings, string workingDirectory) => MachineTree.Resolve(settings, workingDirectory, Root, Mach);
}

/// <summary>
/// Interactive mode: a numbered menu of the kernels, then the "hostname or hostname:kernelname" prompt.
/// Reads lines from <paramref name="input"/> (a keyboard or a pipe) and writes to <paramref name="prompt"/>.
/// </summary>
public sealed class KernelMenu(TextReader input, TextWriter prompt)
{
    public KernelChoice Choose(IReadOnlyList<KernelChoice> choices)
    {
        if (choices.Count == 0)
            throw new UserError("no kernels to offer: give database files with -d, or set $ROOT and $MACH (or use -b)");
        prompt.WriteLine("Kernels:");
        for (var i = 0; i < choices.Count; i++)
            prompt.WriteLine($"  {i + 1}) {choices[i].Label}");
        for (var attempt = 0; attempt < 3; attempt++)
        {
            prompt.Write(choices.Count == 1 ? "Select a kernel [1]: " : $"Select a kernel [1-{choices.Count}]: ");
            prompt.Flush();
            var line = input.ReadLine() ?? throw new UserError("no kernel selected (end of input)");
            line = line.Trim();
            if (line.Length == 0 && choices.Count == 1) return choices[0];
            if (int.TryParse(line, out var n) && n >= 1 && n <= choices.Count) return choices[n - 1];
            prompt.WriteLine($"'{line}' is not one of 1-{choices.Count}");
        }
        throw new UserError("no kernel selected");
    }

    public string AskTarget()
    {
        for (var attempt = 0; attempt < 3; attempt++)
        {
            prompt.Write("hostname or hostname:kernelname: ");
            prompt.Flush();
            var line = input.ReadLine() ?? throw new UserError("no host given (end of input)");
            if (line.Trim().Length > 0) return line.Trim();
        }
        throw new UserError("no host given");
    }
}
