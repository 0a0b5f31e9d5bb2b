using System.Security.Cryptography;
using System.Text;
using GitKsplice.Processes;
using GitKsplice.Transport;

namespace GitKsplice.Build;

/// <summary>
/// How a tree is built: the command, the parallelism, and how every object gets its own function and data
/// sections without editing the user's Makefile — KCFLAGS for a Kbuild (Linux) tree; for a plain Makefile
/// that calls gcc or cc, a compiler wrapper first on PATH that records, and in an update's build compiles, a
/// sectioned copy of each object beside the build, which itself runs as written (its link pays nothing for a
/// section per function).
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
    private static string? HostCompiler() => FindOnPath("gcc") ?? FindOnPath("cc");

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

    /// <summary>Identifies everything that makes two builds of the same source differ; a change forces a clean build.</summary>
    public string Key(bool kbuild) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(
        string.Join('\n', [Command, CompilerPath, CompilerVersion, kbuild ? KbuildRecipe : WrapperRecipe, SectionFlags,
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
    private bool AppliesLauncher => Launcher.Count > 0 && CommandLauncher == null;

    /// <summary>Kbuild's compiler variables, each with the compiler Kbuild gives it (gcc builds).</summary>
    private static readonly (string Variable, string Compiler)[] KbuildCompilers = [("CC", "$$(CROSS_COMPILE)gcc"), ("HOSTCC", "gcc")];

    /// <summary>
    /// On a Kbuild tree ksplice.compilerLauncher applies to each compiler variable the build command does not set:
    /// with no launcher named in the command, or the same one (make CC="ccache gcc" with ccache set: HOSTCC gets it).
    /// </summary>
    private bool KbuildLauncherApplies => Launcher.Count > 0 && (CommandLauncher == null || CommandLauncher == Path.GetFileName(Launcher[0]));

    /// <summary>Whether <paramref name="command"/> sets the make variable (VAR=… as a word of its own), so its value wins and is kept.</summary>
    private static bool AssignsVariable(string command, string variable) =>
        System.Text.RegularExpressions.Regex.IsMatch(command, $@"(^|[\s""']){variable}=");

    /// <summary>
    /// With a launcher, compiles map the build tree's path to "." (-ffile-prefix-map): objects, and so a cache's
    /// entries, do not depend on where the repository is, and a second clone is served from the cache.
    /// </summary>
    private bool Relocatable => EffectiveLauncher != null;

    [System.Text.RegularExpressions.GeneratedRegex(@"[\s""'=;|&()`]+")]
    private static partial System.Text.RegularExpressions.Regex CommandWords();

    /// <summary>Change when the way a tree is built changes, so trees built the old way are rebuilt.</summary>
    private const string KbuildRecipe = "kbuild: KCFLAGS, fixed KBUILD_BUILD_VERSION and KBUILD_BUILD_TIMESTAMP";
    private const string WrapperRecipe = "wrapper: the build as written, each object's sectioned compile recorded (and run beside it in an update's build), stamped with their object's mtime";
    private const string RelocatableRecipe = "relocatable: -ffile-prefix-map=<tree>=. (Kbuild: KCFLAGS and HOSTCFLAGS)";

    /// <summary>
    /// The environment of a build: KCFLAGS for a Kbuild tree; else the compiler wrapper first on PATH, told the
    /// tree and where its sectioned copies of the tree's objects go (<paramref name="objectRoot"/>).
    /// </summary>
    public Dictionary<string, string?> BuildEnvironment(bool kbuild, string wrapperDir, string treeRoot, string objectRoot)
    {
        var env = new Dictionary<string, string?>
        {
            ["MAKEFLAGS"] = $"-j{Jobs}",
            ["LC_ALL"] = "C",
        };
        if (EffectiveLauncher == "ccache" && string.IsNullOrEmpty(System.Environment.GetEnvironmentVariable("CCACHE_BASEDIR")))
            env["CCACHE_BASEDIR"] = treeRoot; // absolute paths inside the tree hash as relative ones
        if (kbuild)
        {
            // Kbuild sets CC and HOSTCC itself; a variable in MAKEFLAGS counts as one given on make's command line,
            // so it wins there and in every sub-make, the livepatch module's too, without editing the build command.
            // HOSTCC compiles the host tools (fixdep, scripts/): they go through the launcher as every other compile.
            foreach (var (variable, compiler) in KbuildCompilers)
                if (KbuildLauncherApplies && !AssignsVariable(Command, variable))
                    env["MAKEFLAGS"] += $" {variable}=" + MakeWord(string.Join(' ', Launcher.Select(PosixShell.Quote)) + " " + compiler);
            env["KCFLAGS"] = Appended("KCFLAGS", Relocatable ? SectionFlags + " " + PrefixMap(treeRoot) : SectionFlags);
            // The host tools too (scripts/, objtool, which compile with -g): with debug information, ccache hashes
            // the directory a compile runs in unless its path is mapped, so another clone would miss every one.
            if (Relocatable) env["HOSTCFLAGS"] = Appended("HOSTCFLAGS", PrefixMap(treeRoot));
            // Kbuild stamps a build counter and the time into init/version-timestamp.o at every link: fixed
            // values keep the pre and post builds of that object identical (a user's own values win).
            env["KBUILD_BUILD_VERSION"] = System.Environment.GetEnvironmentVariable("KBUILD_BUILD_VERSION") ?? "1";
            env["KBUILD_BUILD_TIMESTAMP"] = System.Environment.GetEnvironmentVariable("KBUILD_BUILD_TIMESTAMP") ?? "Thu Jan  1 00:00:00 UTC 1970";
        }
        else
        {
            WriteWrappers(wrapperDir);
            env["PATH"] = wrapperDir + Path.PathSeparator + System.Environment.GetEnvironmentVariable("PATH");
            env["GIT_KSPLICE_TREE"] = treeRoot;
            env["GIT_KSPLICE_OBJECTS"] = objectRoot;
        }
        return env;
    }

    /// <summary>The user's value of the flags variable <paramref name="variable"/> with <paramref name="flags"/> after it.</summary>
    private static string Appended(string variable, string flags) =>
        System.Environment.GetEnvironmentVariable(variable) is { } existing && !string.IsNullOrWhiteSpace(existing) ? existing + " " + flags : flags;

    /// <summary>The flag that maps the tree's path to "." in debug information and __FILE__.</summary>
    private static string PrefixMap(string treeRoot) => $"-ffile-prefix-map={treeRoot}=.";

    /// <summary>A value for a variable in MAKEFLAGS, where a space inside a word is escaped with a backslash.</summary>
    private static string MakeWord(string value) => value.Replace("\\", "\\\\").Replace(" ", "\\ ");

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
    /// Writes gcc and cc into <paramref name="dir"/>: the compiler wrapper (compiler-wrapper.c) for this compiler,
    /// compiled once. It runs the compiler exactly as the build asks, and records (or runs) beside each object the
    /// build compiles the compile of a copy with one section per function into the object root.
    /// </summary>
    public void WriteWrappers(string dir)
    {
        // Named as a launcher, the wrapper stands in for it when the build command names one (make CC="ccache
        // gcc"): it runs that launcher once for each of its compiles, never around itself.
        var launchers = KnownLaunchers.Concat(Launcher.Take(1).Select(Path.GetFileName).OfType<string>())
            .Distinct().Where(name => FindOnPath(name, OtherPathEntries(dir)) != null).ToList();
        string[] names = ["gcc", "cc", .. launchers];
        var source = WrapperSource();
        var stamp = Path.Combine(dir, ".wrapper");
        var stampText = source + "\n/* " + string.Join(' ', names) + " */\n";
        if (File.Exists(stamp) && File.ReadAllText(stamp) == stampText && names.All(name => File.Exists(Path.Combine(dir, name))))
            return;
        Directory.CreateDirectory(dir);
        var program = CompileWrapper(dir, source);
        foreach (var name in names)
        {
            var path = Path.Combine(dir, name);
            var temp = path + ".tmp";
            File.Copy(program, temp, overwrite: true);
            File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
                UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
            File.Move(temp, path, overwrite: true);
        }
        File.Delete(program);
        AtomicFile.WriteAllText(stamp, stampText, flushToDisk: false);
    }

    /// <summary>compiler-wrapper.c with the real compiler and the section flags defined.</summary>
    private string WrapperSource()
    {
        using var stream = typeof(BuildSettings).Assembly.GetManifestResourceStream("compiler-wrapper.c")
            ?? throw new InvalidOperationException("compiler-wrapper.c is not embedded");
        var body = new StreamReader(stream).ReadToEnd();
        static string Literal(string s) => "\"" + string.Concat(s.Select(c => c is '\\' or '"' ? "\\" + c : c.ToString())) + "\"";
        return $"#define GIT_KSPLICE_COMPILER {Literal(CompilerPath)}\n" +
            $"#define GIT_KSPLICE_SECTION_FLAGS {string.Join(", ", SectionFlags.Split(' ').Select(Literal))}\n" +
            $"#define GIT_KSPLICE_LAUNCHER {string.Concat((AppliesLauncher ? Launcher : []).Select(word => Literal(word) + ", "))}\n" +
            $"#define GIT_KSPLICE_RELOCATABLE {(Relocatable ? 1 : 0)}\n" + body;
    }

    /// <summary>
    /// The wrapper program, built by the machine's own C compiler (the wrapper runs here, even when the real
    /// compiler is a cross-compiler), else by the real compiler.
    /// </summary>
    private string CompileWrapper(string dir, string source)
    {
        var sourcePath = Path.Combine(dir, "wrapper.c");
        var output = Path.Combine(dir, $".wrapper.{System.Environment.ProcessId}");
        File.WriteAllText(sourcePath, source);
        try
        {
            string? error = null;
            foreach (var compiler in new[] { HostCompiler(), CompilerPath }.OfType<string>().Distinct())
            {
                // Unoptimised: the wrapper spends its life waiting for compilers, and -O2 would double the time a
                // cold create waits for it.
                var r = CommandRunner.Run(dir, compiler, ["-O0", "-o", output, sourcePath]);
                if (r.Succeeded && File.Exists(output)) return output;
                error ??= r.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault();
            }
            throw new Reporting.UserError($"could not build git-ksplice's compiler wrapper with {CompilerPath}: {error ?? "no output"}");
        }
        finally { File.Delete(sourcePath); }
    }

    /// <summary>The PATH without <paramref name="dir"/>: where the programs the wrapper stands in for really are.</summary>
    private static string OtherPathEntries(string dir) => string.Join(Path.PathSeparator,
        (System.Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Where(entry => Path.GetFullPath(entry).TrimEnd('/') != Path.GetFullPath(dir).TrimEnd('/')));

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
    private static string? FindOnPath(string name, string? searchPath = null) =>
        (searchPath ?? System.Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(candidate => File.Exists(candidate) &&
                (File.GetUnixFileMode(candidate) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0);
}
