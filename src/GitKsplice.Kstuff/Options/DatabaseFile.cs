using GitKsplice.Kstuff.Config;

namespace GitKsplice.Kstuff.Options;

/// <summary>One kernel of a database file: <c>root:mach:bundle-file:pre_built_flag:comment</c>.</summary>
public sealed record DatabaseEntry(string Root, string Mach, string BundleFile, bool PreBuilt, string Comment, string File, int Line)
{
    /// <summary>Where this entry was read, for messages: "file:line".</summary>
    public string Where => $"{File}:{Line}";
}

/// <summary>
/// A database of kernels (-d db.file). Lines are <c>root:mach:bundle-file:pre_built_flag:comment</c>; the comment
/// may itself hold colons; blank lines and lines starting with "#" are skipped. A relative root or bundle-file is
/// taken relative to the database file's directory, never to the directory a command happens to run in.
/// </summary>
public sealed class DatabaseFile
{
    public string Path { get; }
    public IReadOnlyList<DatabaseEntry> Entries { get; }

    private DatabaseFile(string path, IReadOnlyList<DatabaseEntry> entries)
    {
        Path = path; Entries = entries;
    }

    public static DatabaseFile Load(string path)
    {
        GitKsplice.IO.FileKinds.RequireRegularFile(path, "database file");
        return Parse(path, System.IO.File.ReadAllText(path));
    }

    public static DatabaseFile Parse(string path, string text)
    {
        var entries = new List<DatabaseEntry>();
        var baseDir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
        var lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            var line = lines[i].TrimEnd('\r');
            if (line.Trim().Length == 0 || line.TrimStart().StartsWith('#')) continue;
            var fields = line.Split(':', 5);
            if (fields.Length < 4)
                throw new ConfigFormatException(path, i + 1, $"expected root:mach:bundle-file:pre_built_flag:comment, found {fields.Length} field(s)");
            var (root, mach, bundle, flag) = (fields[0].Trim(), fields[1].Trim(), fields[2].Trim(), fields[3].Trim());
            if (root.Length == 0) throw new ConfigFormatException(path, i + 1, "empty root");
            if (mach.Length == 0) throw new ConfigFormatException(path, i + 1, "empty mach");
            if (bundle.Length == 0) throw new ConfigFormatException(path, i + 1, "empty bundle-file");
            if (flag != "0" && flag != "1") throw new ConfigFormatException(path, i + 1, $"pre_built_flag is '{flag}', not 0 or 1");
            entries.Add(new DatabaseEntry(Resolve(baseDir, root), mach, Resolve(baseDir, bundle), flag == "1", fields.Length == 5 ? fields[4] : "", path, i + 1));
        }
        return new DatabaseFile(path, entries);
    }

    private static string Resolve(string baseDir, string path) =>
        System.IO.Path.IsPathRooted(path) ? path : System.IO.Path.GetFullPath(System.IO.Path.Combine(baseDir, path));

    /// <summary>The first entry for this $ROOT and $MACH in the files given, in the order given; null when none.</summary>
    /// <remarks><paramref name="root"/> is absolute: the command resolved it against its working directory.</remarks>
    public static DatabaseEntry? Find(IEnumerable<DatabaseFile> files, string root, string mach)
    {
        var fullRoot = Normalize(root);
        return files.SelectMany(f => f.Entries).FirstOrDefault(e => Normalize(e.Root) == fullRoot && e.Mach == mach);
    }

    private static string Normalize(string path) => System.IO.Path.TrimEndingDirectorySeparator(System.IO.Path.GetFullPath(path));
}
