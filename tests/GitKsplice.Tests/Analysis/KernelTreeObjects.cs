using GitKsplice.Tests.Support;

namespace GitKsplice.Tests.Analysis;

/// <summary>
/// Compiles one kernel source file, as written or changed, with the exact command Kbuild recorded for it
/// (dir/.file.o.cmd), into a scratch directory, so the tree's files are never changed (Kbuild builds the untouched
/// object first if it has not yet). __FILE__ and local includes are mapped back so the object is the one Kbuild
/// would make from the changed file.
/// </summary>
public sealed class KernelTreeObjects : IDisposable
{
    /// <summary>GKS_LINUX_TREE when it names a configured and built tree, else the shared tree the Linux tests build.</summary>
    public static string Tree => Environment.GetEnvironmentVariable("GKS_LINUX_TREE") is { Length: > 0 } t ? t : LinuxTree.Shared.BuildTree;

    private readonly TempDir _dir = new();
    private int _count;

    public string Source(string relative) => File.ReadAllText(Path.Combine(Tree, relative));

    /// <summary>Builds <paramref name="relative"/> (e.g. "kernel/fork.c") from <paramref name="text"/>; returns the object.</summary>
    public string Compile(string relative, string text)
    {
        var directory = Path.GetDirectoryName(relative)!;
        var stem = Path.GetFileNameWithoutExtension(relative);
        var objectPath = Path.Combine(directory, stem + ".o");
        EnsureRecordedCommand(directory, stem, objectPath);
        var command = File.ReadLines(Path.Combine(Tree, directory, $".{stem}.o.cmd")).First();
        command = command[(command.IndexOf(":=", StringComparison.Ordinal) + 2)..].Trim();
        Assert.Contains("-ffunction-sections", command);

        var work = Path.Combine(_dir.Path, $"{++_count}");
        Directory.CreateDirectory(work);
        var source = Path.Combine(work, stem + ".c");
        File.WriteAllText(source, text);
        var output = Path.Combine(work, stem + ".o");
        command = command
            .Replace($"-Wp,-MMD,{directory}/.{stem}.o.d", $"-Wp,-MMD,{work}/.{stem}.o.d")
            .Replace(objectPath, output)
            .Replace(" " + relative, $" -iquote {Path.Combine(Tree, directory)} -fmacro-prefix-map={work}/={directory}/ {source}");
        var r = ProcessRunner.Run(Tree, "sh", ["-c", command]);
        Assert.True(r.ExitCode == 0, $"kernel compile of {relative} failed: {r.All}");
        return output;
    }

    /// <summary>The .cmd file exists once Kbuild has built the object; build just that object if it has not.</summary>
    private static void EnsureRecordedCommand(string directory, string stem, string objectPath)
    {
        if (File.Exists(Path.Combine(Tree, directory, $".{stem}.o.cmd"))) return;
        var r = ProcessRunner.Run(Tree, "make", ["-s", "KCFLAGS=-ffunction-sections -fdata-sections", objectPath]);
        Assert.True(r.ExitCode == 0, $"make {objectPath} failed: {r.All}");
    }

    public void Dispose() => _dir.Dispose();
}
