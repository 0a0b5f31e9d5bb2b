using System.Security.Cryptography;
using System.Text;
using GitKsplice.Processes;
using GitKsplice.Transport;

namespace GitKsplice.Build;

/// <summary>
/// How a tree is built, whatever its build system: the command, the parallelism, the compiler and the
/// compiler launcher. How each object gets its own function and data sections is the build system's
/// (<see cref="BuildSystem"/>).
/// </summary>
public sealed partial class BuildSettings
{
    public const string SectionFlags = "-ffunction-sections -fdata-sections";

    public required string Command { get; init; }
    public required int Jobs { get; init; }
    /// <summary>
    /// ksplice.compilerLauncher: the program and arguments every compile runs through (ccache, distcc, icecc),
    /// the program resolved to its path; empty: none.
    /// </summary>
    public IReadOnlyList<string> Launcher { get; init; } = [];
    /// <summary>The real compiler the wrapper or Kbuild ends up running.</summary>
    public required string CompilerPath { get; init; }
    /// <summary>First line of the compiler's --version: recorded in every manifest.</summary>
    public required string CompilerVersion { get; init; }
    /// <summary>Globs (relative paths) of build outputs packaged by --build-modules.</summary>
    public IReadOnlyList<string> ModuleGlobs { get; init; } = ["*.ko"];

    public static string DefaultCompiler() => HostCompiler() ?? throw new Reporting.UserError("no C compiler found: install gcc");

    /// <summary>The machine's own C compiler: gcc, else cc, on PATH.</summary>
    internal static string? HostCompiler() => FindOnPath("gcc") ?? FindOnPath("cc");

    /// <summary>
    /// The first line of `compiler --version`, cached in <paramref name="cacheDir"/> by the compiler's path, size
    /// and mtime: every create needs it, and starting the compiler costs more than the rest of a warm start.
    /// </summary>
    public static string ReadCompilerVersion(string compiler, string cacheDir)
    {
        var info = new FileInfo(compiler);
        var key = $"{Path.GetFullPath(compiler)}\t{(info.Exists ? info.Length : 0)}\t{(info.Exists ? info.LastWriteTimeUtc.Ticks : 0)}";
        var cache = Path.Combine(cacheDir, "compiler-version");
        if (File.Exists(cache) && File.ReadAllText(cache).Split('\n') is [var cachedKey, var cachedVersion, ..] && cachedKey == key)
            return cachedVersion;
        var r = CommandRunner.Run(System.Environment.CurrentDirectory, compiler, ["--version"]);
        if (!r.Succeeded) throw new Reporting.UserError($"compiler '{compiler}' does not run: {r.StdErr.Trim()}");
        var version = r.StdOut.Split('\n')[0].Trim();
        AtomicFile.WriteAllText(cache, key + "\n" + version + "\n");
        return version;
    }

    /// <summary>
    /// Identifies everything that makes two builds of the same source differ, the build system's way of building
    /// (<paramref name="recipe"/>) included; a change forces a clean build.
    /// </summary>
    public string Key(string recipe) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(
        string.Join('\n', [Command, CompilerPath, CompilerVersion, recipe, SectionFlags,
            .. Relocatable ? [RelocatableRecipe] : Array.Empty<string>()]))))[..16];

    /// <summary>These settings with another build command (the same tree built for other targets).</summary>
    public BuildSettings WithCommand(string command) => new()
    {
        Command = command,
        Jobs = Jobs,
        CompilerPath = CompilerPath,
        CompilerVersion = CompilerVersion,
        ModuleGlobs = ModuleGlobs,
        Launcher = Launcher,
    };

    /// <summary>Programs that take a compiler's command line: a build command naming one keeps it, and is not wrapped twice.</summary>
    public static readonly IReadOnlyList<string> KnownLaunchers = ["ccache", "distcc", "icecc", "sccache"];

    /// <summary>The launcher the build command names itself (make CC="ccache gcc"), by its program name; null: none.</summary>
    public string? CommandLauncher => NamedLauncher(Command, Launcher) is { } word ? Path.GetFileName(word) : null;

    /// <summary>The word of <paramref name="command"/> that names a launcher (a known one, or the configured one's program).</summary>
    private static string? NamedLauncher(string command, IReadOnlyList<string> launcher) =>
        CommandWords().Split(command).FirstOrDefault(word => Path.GetFileName(word) is var name &&
            (KnownLaunchers.Contains(name) || (launcher.Count > 0 && name == Path.GetFileName(launcher[0]))));

    /// <summary>The program of the launcher the build command names, found as the shell would; null: none or not found.</summary>
    public static string? CommandLauncherProgram(string command, IReadOnlyList<string> launcher) =>
        NamedLauncher(command, launcher) is not { } word ? null
        : word.Contains('/') ? (File.Exists(word) ? word : null)
        : FindOnPath(word);

    /// <summary>The program every compile runs through: the build command's own launcher, else ksplice.compilerLauncher; null: none.</summary>
    public string? EffectiveLauncher => CommandLauncher ?? (Launcher.Count > 0 ? Path.GetFileName(Launcher[0]) : null);

    /// <summary>ksplice.compilerLauncher applies: it is set and the build command names no launcher of its own.</summary>
    internal bool AppliesLauncher => Launcher.Count > 0 && CommandLauncher == null;


    /// <summary>
    /// With a launcher, compiles map the build tree's path to "." (-ffile-prefix-map): objects, and so a cache's
    /// entries, do not depend on where the repository is, and a second clone is served from the cache.
    /// </summary>
    internal bool Relocatable => EffectiveLauncher != null;

    [System.Text.RegularExpressions.GeneratedRegex(@"[\s""'=;|&()`]+")]
    private static partial System.Text.RegularExpressions.Regex CommandWords();

    /// <summary>Change when relocatable compiles change, so trees built the old way are rebuilt.</summary>
    private const string RelocatableRecipe = "relocatable: -ffile-prefix-map=<tree>=. (Kbuild: KCFLAGS and HOSTCFLAGS)";


    /// <summary>
    /// What every build's environment holds, whatever the build system adds: make's parallelism, the C locale
    /// (messages the tool reads), and ccache's base directory at the tree.
    /// </summary>
    public Dictionary<string, string?> CommonEnvironment(string treeRoot)
    {
        var env = new Dictionary<string, string?>
        {
            ["MAKEFLAGS"] = $"-j{Jobs}",
            ["LC_ALL"] = "C",
        };
        if (EffectiveLauncher == "ccache" && string.IsNullOrEmpty(System.Environment.GetEnvironmentVariable("CCACHE_BASEDIR")))
            env["CCACHE_BASEDIR"] = treeRoot; // absolute paths inside the tree hash as relative ones
        return env;
    }

    /// <summary>The user's value of the flags variable <paramref name="variable"/> with <paramref name="flags"/> after it.</summary>
    internal static string Appended(string variable, string flags) =>
        System.Environment.GetEnvironmentVariable(variable) is { } existing && !string.IsNullOrWhiteSpace(existing) ? existing + " " + flags : flags;

    /// <summary>The flag that maps the tree's path to "." in debug information and __FILE__.</summary>
    internal static string PrefixMap(string treeRoot) => $"-ffile-prefix-map={treeRoot}=.";


    /// <summary>
    /// The default parallelism a launcher offers: distcc's own count for its hosts (distcc -j); icecc's, the slots
    /// of the farm whose scheduler $ICECC_SCHEDULER names (<see cref="IcecreamScheduler"/>); null: the launcher
    /// says nothing, and the machine's CPUs decide.
    /// </summary>
    public static int? LauncherJobs(string launcherProgram, Action<string> warn)
    {
        switch (Path.GetFileName(launcherProgram))
        {
            case "distcc":
                var r = CommandRunner.Run("/", launcherProgram, ["-j"]);
                return r.Succeeded && int.TryParse(r.StdOut.Trim(), out var jobs) && jobs > 0 ? jobs : null;
            case "icecc":
                return System.Environment.GetEnvironmentVariable(IcecreamScheduler.Variable) is { Length: > 0 } scheduler
                    ? IcecreamScheduler.Slots(scheduler, warn) : null;
            default:
                return null;
        }
    }

    /// <summary>
    /// The program and arguments that run the build command in <paramref name="root"/>: a command of plain
    /// words ("make vmlinux", "make -j8 V=1") runs directly, sparing a shell start on every build; anything
    /// else runs through /bin/sh -c as written.
    /// </summary>
    public (string File, string[] Args) Invocation(string root, IReadOnlyDictionary<string, string?> env)
    {
        if (PlainWords().IsMatch(Command))
        {
            var words = Command.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (!words[0].Contains('=') && FindProgram(words[0], root, env) is { } program) return (program, words[1..]);
        }
        return ("/bin/sh", ["-c", Command]);
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^ *[A-Za-z0-9_./:=+,@%-]+( +[A-Za-z0-9_./:=+,@%-]+)* *$")]
    private static partial System.Text.RegularExpressions.Regex PlainWords();

    /// <summary>A program as the shell would find it: a path with a slash from the tree, else the first on the build's PATH.</summary>
    private static string? FindProgram(string name, string root, IReadOnlyDictionary<string, string?> env)
    {
        if (name.Contains('/')) return Path.GetFullPath(name, root) is var path && File.Exists(path) ? path : null;
        return FindOnPath(name, env.TryGetValue("PATH", out var p) && p != null ? p : null);
    }


    /// <summary>
    /// A launcher given as words: its program found on PATH (a path is taken as it is), the arguments kept.
    /// </summary>
    public static IReadOnlyList<string> ResolveLauncher(IReadOnlyList<string> words)
    {
        if (words.Count == 0) return [];
        var program = words[0].Contains('/') ? Path.GetFullPath(words[0]) : FindOnPath(words[0]);
        if (program == null || !File.Exists(program))
            throw new Reporting.UserError($"compiler launcher '{words[0]}' not found{(words[0].Contains('/') ? "" : " on PATH")} (ksplice.compilerLauncher, --launcher)");
        return [program, .. words.Skip(1)];
    }

    /// <summary>The first executable file <paramref name="name"/> in <paramref name="searchPath"/> (default: this process's PATH).</summary>
    internal static string? FindOnPath(string name, string? searchPath = null) =>
        (searchPath ?? System.Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(candidate => File.Exists(candidate) &&
                (File.GetUnixFileMode(candidate) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0);
}
