namespace GitKsplice.Kstuff.Config;

/// <summary>Which tree a file of a merged configuration comes from.</summary>
public enum TreeSide { Source, Target, Merged }

/// <summary>
/// The bytes of a file in a tree, read only when needed: a Driver.o is copied, never parsed.
/// The delivery may add its own kind (say, a file that stays on the remote host).
/// </summary>
public abstract class FileContent
{
    public abstract Stream Open();

    public byte[] ReadAllBytes()
    {
        using var stream = Open();
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        return memory.ToArray();
    }
}

/// <summary>A file on the local disk.</summary>
public sealed class DiskFileContent(string fullPath) : FileContent
{
    public string FullPath { get; } = fullPath;
    public override Stream Open() => File.OpenRead(FullPath);
    public override string ToString() => FullPath;
}

/// <summary>Bytes held in memory (a merged or generated file).</summary>
public sealed class BytesFileContent(byte[] bytes) : FileContent
{
    public byte[] Bytes { get; } = bytes;
    public override Stream Open() => new MemoryStream(Bytes, writable: false);
}

/// <summary>
/// One file of a configuration tree. <see cref="Path"/> is relative to the tree's root (the directory holding
/// mdevice.d), always with "/" separators. A symbolic link has <see cref="LinkTarget"/> and no content.
/// </summary>
public sealed record TreeFile(string Path, FileContent? Content, int Mode, TreeSide Origin, string? LinkTarget = null)
{
    public const int RegularMode = 0b110_100_100;   // 0644
    public const int ExecutableMode = 0b111_101_101; // 0755

    public bool IsLink => LinkTarget != null;

    public static TreeFile FromBytes(string path, byte[] bytes, TreeSide origin, int mode = RegularMode) =>
        new(path, new BytesFileContent(bytes), mode, origin);

    public TreeFile WithPath(string path) => this with { Path = path };
}
