namespace GitKsplice.Tests.Support;

/// <summary>A real git repository in a temp directory, driven through the git command line.</summary>
public sealed class TestRepo : IDisposable
{
    private readonly TempDir? _dir;
    public string Root { get; }

    public TestRepo(bool init = true) : this(new TempDir(), init) { }

    private TestRepo(TempDir dir, bool init) : this(dir.Path, init) => _dir = dir;

    private TestRepo(string root, bool init)
    {
        Root = root;
        if (!init) return;
        Git("init", "-q", "-b", "main");
        Git("config", "user.name", "Test User");
        Git("config", "user.email", "test@example.com");
        Git("config", "commit.gpgsign", "false");
    }

    /// <summary>A new repository in an existing directory (its files become the first commit's content).</summary>
    public static TestRepo At(string directory) => new(directory, init: true);

    public string Path(string relative) => System.IO.Path.Combine(Root, relative);

    public string Write(string relative, string content)
    {
        var full = Path(relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        File.WriteAllText(full, content);
        return full;
    }

    public string Read(string relative) => File.ReadAllText(Path(relative));

    /// <summary>Runs git and fails the test if it fails.</summary>
    public string Git(params string[] args)
    {
        var r = ProcessRunner.Run(Root, "git", args);
        if (r.ExitCode != 0) throw new InvalidOperationException($"git {string.Join(' ', args)} failed: {r.All}");
        return r.StdOut.TrimEnd('\n');
    }

    public RunResult TryGit(params string[] args) => ProcessRunner.Run(Root, "git", args);

    /// <summary>Stages everything and commits; returns the new commit id.</summary>
    public string Commit(string message)
    {
        Git("add", "-A");
        Git("commit", "-q", "-m", message);
        return Git("rev-parse", "HEAD");
    }

    /// <summary>Runs "git ksplice …" through git, as a user would.</summary>
    public RunResult Ksplice(params string[] args) => ProcessRunner.Run(Root, "git", ["ksplice", .. args]);

    /// <summary>Runs "git kstuff …" through git, as a user would.</summary>
    public RunResult Kstuff(params string[] args) => ProcessRunner.Run(Root, "git", ["kstuff", .. args]);

    public void Dispose() => _dir?.Dispose();
}
