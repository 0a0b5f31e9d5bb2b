using GitKsplice.Tests.Support;

namespace GitKsplice.Tests.Analysis;

/// <summary>Compiles C sources the tests write with a real compiler, the way the kernel build does: one function per section.</summary>
public sealed class CompiledObjects : IDisposable
{
    public const string KernelLikeFlags = "-O2 -fno-pie -fno-common -ffunction-sections -fdata-sections";
    private readonly TempDir _dir = new();
    private int _count;

    public string Directory => _dir.Path;

    public static bool Have(string compiler) =>
        Environment.GetEnvironmentVariable("PATH")!.Split(':').Any(d => File.Exists(Path.Combine(d, compiler)));

    /// <summary>Compiles <paramref name="source"/> to an object and returns its path.</summary>
    public string Compile(string source, string flags = KernelLikeFlags, string compiler = "gcc", string? name = null)
    {
        name ??= $"unit{++_count}";
        var c = _dir.Write(name + ".c", source);
        var o = _dir[name + ".o"];
        // Compile in the source's directory by its bare name, so __FILE__ is the same for both versions of a unit.
        var args = flags.Split(' ', StringSplitOptions.RemoveEmptyEntries).Concat(["-c", Path.GetFileName(c), "-o", o]);
        var r = ProcessRunner.Run(Path.GetDirectoryName(c)!, compiler, args);
        Assert.True(r.ExitCode == 0, $"{compiler} failed: {r.All}");
        return o;
    }

    /// <summary>The original and the patched object of one translation unit.</summary>
    public (string Original, string Patched) Pair(string original, string patched, string flags = KernelLikeFlags,
        string compiler = "gcc")
    {
        int n = ++_count;
        return (Compile(original, flags, compiler, $"orig{n}"), Compile(patched, flags, compiler, $"patched{n}"));
    }

    public void Dispose() => _dir.Dispose();
}
