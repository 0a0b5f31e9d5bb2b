using GitKsplice.Tests.Support;

namespace GitKsplice.Tests.Cli;

/// <summary>
/// ./install.sh run once with PREFIX=HOME/.local for a scratch HOME, as a user without root would: the
/// executables, the manual pages and the completions, in the places each tool looks by itself.
/// </summary>
public sealed class InstalledTools : IDisposable
{
    private readonly TempDir _dir = new();

    public string Home => _dir["home"];
    public string Prefix => Path.Combine(Home, ".local");
    public string Bin => Path.Combine(Prefix, "bin");
    public string InstallOutput { get; }

    public InstalledTools()
    {
        Directory.CreateDirectory(Home);
        var env = new Dictionary<string, string?> { ["PREFIX"] = Prefix };
        // The test host's MSBuild variables would steer the publish inside install.sh.
        foreach (var key in Environment.GetEnvironmentVariables().Keys.Cast<string>())
            if (key.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase) || key is "MSBUILD_EXE_PATH" or "DOTNET_HOST_PATH")
                env[key] = null;
        var r = ProcessRunner.Run(RepositoryRoot, "bash", ["install.sh"], env, timeoutMs: 900_000);
        if (r.ExitCode != 0) throw new InvalidOperationException("install.sh failed: " + r.All);
        InstallOutput = r.StdOut;
    }

    /// <summary>The checkout this test build came from: the directory above the build output holding install.sh.</summary>
    public static string RepositoryRoot { get; } = FindRoot();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "install.sh")) && Directory.Exists(Path.Combine(dir.FullName, "completions")))
                return dir.FullName;
        throw new InvalidOperationException("no install.sh above " + AppContext.BaseDirectory);
    }

    /// <summary>The environment of a fresh login of that user: HOME, and the installed tools on PATH before the build under test.</summary>
    public Dictionary<string, string?> UserEnvironment(params (string Key, string? Value)[] extra)
    {
        var env = new Dictionary<string, string?>
        {
            ["HOME"] = Home,
            ["PATH"] = Bin + Path.PathSeparator + Environment.GetEnvironmentVariable("PATH"),
            ["XDG_DATA_HOME"] = null,
            ["XDG_DATA_DIRS"] = null,
            ["XDG_CONFIG_HOME"] = null,
            ["MANPATH"] = null,
            ["MANPAGER"] = "cat",
            ["PAGER"] = "cat",
            ["MANWIDTH"] = "100",
            ["TERM"] = "xterm",
        };
        foreach (var (k, v) in extra) env[k] = v;
        return env;
    }

    public RunResult Run(string workDir, string file, IEnumerable<string> args, params (string Key, string? Value)[] extra) =>
        ProcessRunner.Run(workDir, file, args, UserEnvironment(extra));

    public void Dispose() => _dir.Dispose();
}

[CollectionDefinition(Name)]
public sealed class InstalledToolsCollection : ICollectionFixture<InstalledTools>
{
    public const string Name = "installed tools";
}
