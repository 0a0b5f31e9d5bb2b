namespace GitKsplice.Tests.Support;

/// <summary>A real git repository in a temp directory, driven through the git command line.</summary>
public sealed class TestRepo : IDisposable
{
    private readonly TempDir _dir = new();
    public string Root => _dir.Path;

    public TestRepo(bool init = true)
    {
        if (!init) return;
        Git("init", "-q", "-b", "main");
        Git("config", "user.name", "Test User");
        Git("config", "user.email", "test@example.com");
        Git("config", "commit.gpgsign", "false");
    }

    public string Path(string relative) => System.IO.Path.Combine(Root, relative);

    public string Write(string relative, string content) => _dir.Write(relative, content);

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

    public void Dispose() => _dir.Dispose();
}
