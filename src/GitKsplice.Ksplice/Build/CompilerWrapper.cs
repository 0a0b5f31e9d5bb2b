using GitKsplice.Processes;
using GitKsplice.Transport;

namespace GitKsplice.Build;

/// <summary>
/// The compiler wrapper of a plain Makefile's build (compiler-wrapper.c), first on the build's PATH as gcc and
/// cc: it runs the compiler exactly as the build asks and records, or runs, beside each object the compile of a
/// copy with one section per function.
/// </summary>
internal static class CompilerWrapper
{
    /// <summary>
    /// Writes gcc and cc into <paramref name="dir"/>: the compiler wrapper (compiler-wrapper.c) for the compiler of <paramref name="settings"/>,
    /// compiled once. It runs the compiler exactly as the build asks, and records (or runs) beside each object the
    /// build compiles the compile of a copy with one section per function into the object root.
    /// </summary>
    public static void Write(string dir, BuildSettings settings)
    {
        // Named as a launcher, the wrapper stands in for it when the build command names one (make CC="ccache
        // gcc"): it runs that launcher once for each of its compiles, never around itself.
        var launchers = BuildSettings.KnownLaunchers.Concat(settings.Launcher.Take(1).Select(Path.GetFileName).OfType<string>())
            .Distinct().Where(name => BuildSettings.FindOnPath(name, OtherPathEntries(dir)) != null).ToList();
        string[] names = ["gcc", "cc", .. launchers];
        var source = Source(settings);
        var stamp = Path.Combine(dir, ".wrapper");
        var stampText = source + "\n/* " + string.Join(' ', names) + " */\n";
        if (File.Exists(stamp) && File.ReadAllText(stamp) == stampText && names.All(name => File.Exists(Path.Combine(dir, name))))
            return;
        Directory.CreateDirectory(dir);
        var program = Compile(dir, source, settings.CompilerPath);
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
    private static string Source(BuildSettings settings)
    {
        using var stream = typeof(CompilerWrapper).Assembly.GetManifestResourceStream("compiler-wrapper.c")
            ?? throw new InvalidOperationException("compiler-wrapper.c is not embedded");
        var body = new StreamReader(stream).ReadToEnd();
        static string Literal(string s) => "\"" + string.Concat(s.Select(c => c is '\\' or '"' ? "\\" + c : c.ToString())) + "\"";
        return $"#define GIT_KSPLICE_COMPILER {Literal(settings.CompilerPath)}\n" +
            $"#define GIT_KSPLICE_SECTION_FLAGS {string.Join(", ", BuildSettings.SectionFlags.Split(' ').Select(Literal))}\n" +
            $"#define GIT_KSPLICE_LAUNCHER {string.Concat((settings.AppliesLauncher ? settings.Launcher : []).Select(word => Literal(word) + ", "))}\n" +
            $"#define GIT_KSPLICE_RELOCATABLE {(settings.Relocatable ? 1 : 0)}\n" + body;
    }

    /// <summary>
    /// The wrapper program, built by the machine's own C compiler (the wrapper runs here, even when the real
    /// compiler is a cross-compiler), else by the real compiler.
    /// </summary>
    private static string Compile(string dir, string source, string compilerPath)
    {
        var sourcePath = Path.Combine(dir, "wrapper.c");
        var output = Path.Combine(dir, $".wrapper.{System.Environment.ProcessId}");
        File.WriteAllText(sourcePath, source);
        try
        {
            string? error = null;
            foreach (var compiler in new[] { BuildSettings.HostCompiler(), compilerPath }.OfType<string>().Distinct())
            {
                // Unoptimised: the wrapper spends its life waiting for compilers, and -O2 would double the time a
                // cold create waits for it.
                var r = CommandRunner.Run(dir, compiler, ["-O0", "-o", output, sourcePath]);
                if (r.Succeeded && File.Exists(output)) return output;
                error ??= r.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault();
            }
            throw new Reporting.UserError($"could not build git-ksplice's compiler wrapper with {compilerPath}: {error ?? "no output"}");
        }
        finally { File.Delete(sourcePath); }
    }

    /// <summary>The PATH without <paramref name="dir"/>: where the programs the wrapper stands in for really are.</summary>
    private static string OtherPathEntries(string dir) => string.Join(Path.PathSeparator,
        (System.Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Where(entry => Path.GetFullPath(entry).TrimEnd('/') != Path.GetFullPath(dir).TrimEnd('/')));
}
