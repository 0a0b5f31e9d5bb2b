using System.Security.Cryptography;
using System.Text;
using GitKsplice.Processes;

namespace GitKsplice.Build;

/// <summary>
/// How a tree is built: the command, the parallelism, and how every object gets its own function and data
/// sections without editing the user's Makefile — KCFLAGS for a Kbuild (Linux) tree; for a plain Makefile
/// that calls gcc or cc, a compiler wrapper first on PATH that compiles a sectioned copy of each object
/// beside the build, which itself runs as written (its link pays nothing for a section per function).
/// </summary>
public sealed partial class BuildSettings
{
    public const string SectionFlags = "-ffunction-sections -fdata-sections";

    public required string Command { get; init; }
    public required int Jobs { get; init; }
    /// <summary>The real compiler the wrapper or Kbuild ends up running.</summary>
    public required string CompilerPath { get; init; }
    /// <summary>First line of the compiler's --version: recorded in every manifest.</summary>
    public required string CompilerVersion { get; init; }
    /// <summary>Globs (relative paths) of build outputs packaged by --build-modules.</summary>
    public IReadOnlyList<string> ModuleGlobs { get; init; } = ["*.ko"];

    public static string DefaultCompiler() => HostCompiler() ?? throw new Cli.UserError("no C compiler found: install gcc");

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
        if (!r.Succeeded) throw new Cli.UserError($"compiler '{compiler}' does not run: {r.StdErr.Trim()}");
        var version = r.StdOut.Split('\n')[0].Trim();
        AtomicFile.WriteAllText(cache, key + "\n" + version + "\n");
        return version;
    }

    /// <summary>Identifies everything that makes two builds of the same source differ; a change forces a clean build.</summary>
    public string Key(bool kbuild) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(
        string.Join('\n', Command, CompilerPath, CompilerVersion, kbuild ? KbuildRecipe : WrapperRecipe, SectionFlags))))[..16];

    /// <summary>Change when the way a tree is built changes, so trees built the old way are rebuilt.</summary>
    private const string KbuildRecipe = "kbuild: KCFLAGS, fixed KBUILD_BUILD_VERSION and KBUILD_BUILD_TIMESTAMP";
    private const string WrapperRecipe = "wrapper: the build as written, sectioned copies of its objects beside it, stamped with their object's mtime";

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
        if (kbuild)
        {
            var existing = System.Environment.GetEnvironmentVariable("KCFLAGS");
            env["KCFLAGS"] = string.IsNullOrWhiteSpace(existing) ? SectionFlags : existing + " " + SectionFlags;
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
    /// compiled once. It runs the compiler exactly as the build asks, and beside each object the build compiles
    /// it compiles a copy with one section per function into the object root.
    /// </summary>
    private void WriteWrappers(string dir)
    {
        var source = WrapperSource();
        var stamp = Path.Combine(dir, ".wrapper");
        if (File.Exists(stamp) && File.ReadAllText(stamp) == source &&
            File.Exists(Path.Combine(dir, "gcc")) && File.Exists(Path.Combine(dir, "cc")))
            return;
        Directory.CreateDirectory(dir);
        var program = CompileWrapper(dir, source);
        foreach (var name in new[] { "gcc", "cc" })
        {
            var path = Path.Combine(dir, name);
            var temp = path + ".tmp";
            File.Copy(program, temp, overwrite: true);
            File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
                UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
            File.Move(temp, path, overwrite: true);
        }
        File.Delete(program);
        AtomicFile.WriteAllText(stamp, source, flushToDisk: false);
    }

    /// <summary>compiler-wrapper.c with the real compiler and the section flags defined.</summary>
    private string WrapperSource()
    {
        using var stream = typeof(BuildSettings).Assembly.GetManifestResourceStream("compiler-wrapper.c")
            ?? throw new InvalidOperationException("compiler-wrapper.c is not embedded");
        var body = new StreamReader(stream).ReadToEnd();
        static string Literal(string s) => "\"" + string.Concat(s.Select(c => c is '\\' or '"' ? "\\" + c : c.ToString())) + "\"";
        return $"#define GIT_KSPLICE_COMPILER {Literal(CompilerPath)}\n" +
            $"#define GIT_KSPLICE_SECTION_FLAGS {string.Join(", ", SectionFlags.Split(' ').Select(Literal))}\n" + body;
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
                var r = CommandRunner.Run(dir, compiler, ["-O2", "-o", output, sourcePath]);
                if (r.Succeeded && File.Exists(output)) return output;
                error ??= r.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault();
            }
            throw new Cli.UserError($"could not build git-ksplice's compiler wrapper with {CompilerPath}: {error ?? "no output"}");
        }
        finally { File.Delete(sourcePath); }
    }

    /// <summary>The first executable file <paramref name="name"/> in <paramref name="searchPath"/> (default: this process's PATH).</summary>
    private static string? FindOnPath(string name, string? searchPath = null) =>
        (searchPath ?? System.Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(candidate => File.Exists(candidate) &&
                (File.GetUnixFileMode(candidate) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0);
}
