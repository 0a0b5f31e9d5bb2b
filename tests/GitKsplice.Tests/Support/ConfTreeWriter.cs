using GitKsplice.Tests.Support;

namespace GitKsplice.Tests.Support;

/// <summary>Writes ID/TP configuration trees as real files, the way idinstall leaves them.</summary>
public sealed class ConfTreeWriter(string root)
{
    public string Root { get; } = root;

    public ConfTreeWriter File(string relative, string content)
    {
        var full = Path.Combine(Root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        System.IO.File.WriteAllText(full, content);
        return this;
    }

    /// <summary>A version 2 driver: Master, System (Y unless stubbed), Driver.o, and a Node file when given.</summary>
    public ConfTreeWriter Driver(string name, string characteristics = "-", string bmaj = "0", string cmaj = "0",
        bool configured = true, bool loadable = false, string? node = null, string driverO = "object", string? extraMaster = null,
        string prefix = "")
    {
        File($"mdevice.d/{name}", $"#ident\t\"@(#){name}\"\n$version 2\n$contact kernel team\n{extraMaster}$entry init\n" +
            $"{name}\t{(prefix.Length > 0 ? prefix : name)}\t{characteristics}\t0\t{bmaj}\t{cmaj}\n");
        File($"sdevice.d/{name}", $"$version 2\n{(loadable ? "$loadable\n" : "")}{name}\t{(configured ? "Y" : "N")}\t1\t5\t1\t9\t0\t0\t0\t0\t-1\n");
        File($"pack.d/{name}/Driver.o", driverO);
        if (node != null) File($"node.d/{name}", node);
        return this;
    }

    public string Read(string relative) => System.IO.File.ReadAllText(Path.Combine(Root, relative));
    public bool Exists(string relative) => System.IO.File.Exists(Path.Combine(Root, relative));
}

/// <summary>A source tree, a target tree and an output directory in one scratch directory.</summary>
public sealed class MergeFixture : IDisposable
{
    private readonly TempDir _dir = new();
    public ConfTreeWriter Source { get; }
    public ConfTreeWriter Target { get; }
    public string Output => _dir["merged"];

    public MergeFixture()
    {
        Source = new ConfTreeWriter(_dir["source"]);
        Target = new ConfTreeWriter(_dir["target"]);
        Directory.CreateDirectory(Source.Root);
        Directory.CreateDirectory(Target.Root);
    }

    public string this[string relative] => _dir[relative];
    public void Dispose() => _dir.Dispose();
}
