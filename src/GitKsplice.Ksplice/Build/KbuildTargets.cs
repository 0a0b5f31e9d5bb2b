using GitKsplice.Processes;
using GitKsplice.Transport;

namespace GitKsplice.Build;

/// <summary>
/// What a warm build of a Kbuild tree must make for a change: the objects whose source or included files the
/// change touches, read from Kbuild's own records (each object's <c>.&lt;name&gt;.o.cmd</c>: its source and its
/// dependencies), built as single-object targets without relinking vmlinux; or, when that cannot be known, the
/// full incremental build and why.
/// </summary>
public sealed record KbuildTargets(IReadOnlyList<string> Objects, string? FullBuildReason)
{
    /// <summary>
    /// The objects of the built tree at <paramref name="root"/> that <paramref name="changed"/> (paths relative to
    /// the tree, each with whether it still exists) touch. A change to anything but C, assembler or header files
    /// (a Makefile, Kconfig, a linker script, a host tool), a deleted source, a source no object records, or a
    /// build command that is not a plain make, needs the full build.
    /// </summary>
    public static KbuildTargets For(string root, IReadOnlyList<(string Path, bool Exists)> changed, string command)
    {
        if (MakeOptions(command) == null) return Full($"the build command '{command}' is not a plain make");
        foreach (var (path, exists) in changed)
        {
            if (!IsCompiled(path)) return Full($"{path} is not a C, assembler or header file");
            if (!exists) return Full($"{path} is removed");
        }
        var wanted = changed.Select(c => c.Path).ToHashSet(StringComparer.Ordinal);
        var objects = new SortedSet<string>(StringComparer.Ordinal);
        var sources = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (cmdFile, _) in ChangedOutputs.Enumerate(root, CommandRecords))
        {
            var record = Read(root, Path.Combine(root, cmdFile));
            if (record == null) continue;
            var (output, source, dependencies) = record.Value;
            if (!wanted.Contains(source) && !dependencies.Any(wanted.Contains))
            {
                sources.Add(source);
                continue;
            }
            // A file made from the change other than an object (asm-offsets.s, a linker script, a host tool)
            // feeds objects through files Kbuild generates: only the full build follows that.
            if (!output.EndsWith(".o", StringComparison.Ordinal))
                return Full($"{output} is made from {wanted.First(path => path == source || dependencies.Contains(path))}");
            sources.Add(source);
            objects.Add(output);
        }
        foreach (var path in wanted)
            if (!path.EndsWith(".h", StringComparison.Ordinal) && !sources.Contains(path))
                return Full($"{path} is compiled into no object of the last build");
        return new KbuildTargets([.. objects], null);
    }

    /// <summary>The build command with <see cref="Objects"/> as its targets: its options and variables kept.</summary>
    public string Command(string command) =>
        string.Join(' ', [.. MakeOptions(command)!, .. Objects.Select(PosixShell.Quote)]);

    private static KbuildTargets Full(string reason) => new([], reason);

    /// <summary>make and its options and variables (targets dropped); null for anything but a plain make in the tree.</summary>
    private static List<string>? MakeOptions(string command)
    {
        IReadOnlyList<string> words;
        try { words = PosixShell.SplitWords(command); }
        catch (FormatException) { return null; }
        if (words.Count == 0 || Path.GetFileName(words[0]) != "make" || command.IndexOfAny([';', '&', '|', '$', '`', '>', '<']) >= 0) return null;
        var kept = new List<string> { words[0] };
        foreach (var word in words.Skip(1))
        {
            if (word is "-C" or "-f" || word.StartsWith("-C", StringComparison.Ordinal) || word.StartsWith("O=", StringComparison.Ordinal) ||
                word.StartsWith("M=", StringComparison.Ordinal) || word.StartsWith("--directory", StringComparison.Ordinal) || word.StartsWith("--file", StringComparison.Ordinal))
                return null; // builds elsewhere than the tree's top
            if (word.StartsWith('-') || word.Contains('=')) kept.Add(PosixShell.Quote(word));
        }
        return kept;
    }

    /// <summary>Sources Kbuild compiles into objects, and headers they include; host tools are built by the full build.</summary>
    private static bool IsCompiled(string path) =>
        (path.EndsWith(".c", StringComparison.Ordinal) || path.EndsWith(".h", StringComparison.Ordinal) || path.EndsWith(".S", StringComparison.Ordinal)) &&
        !path.EndsWith(".lds.S", StringComparison.Ordinal) && !path.StartsWith("scripts/", StringComparison.Ordinal) &&
        !path.StartsWith("tools/", StringComparison.Ordinal) && !path.Contains("/boot/", StringComparison.Ordinal) && !path.Contains("/vdso/", StringComparison.Ordinal);

    private static readonly OutputFilter CommandRecords = new(_ => true,
        name => name.StartsWith('.') && name.EndsWith(".cmd", StringComparison.Ordinal));

    /// <summary>
    /// The record of a file Kbuild made (an object, a generated assembler file, a linker script, a host tool):
    /// "cmd_&lt;object&gt; := …", "source_&lt;object&gt; := &lt;source&gt;" and "deps_&lt;object&gt; := \"
    /// followed by one dependency a line (ended by a backslash) up to a blank line. Paths are relative to the
    /// tree or absolute; "$(wildcard include/config/…)" entries are configuration, which a change of .config
    /// rebuilds wholly. Null for a record without a source (a linked file).
    /// </summary>
    internal static (string Object, string Source, List<string> Dependencies)? Read(string root, string cmdFile)
    {
        string? obj = null, source = null;
        var deps = new List<string>();
        var inDeps = false;
        foreach (var raw in File.ReadLines(cmdFile))
        {
            var line = raw.Trim();
            if (inDeps)
            {
                if (line.Length == 0) { inDeps = false; continue; }
                var dep = line.TrimEnd('\\').Trim();
                if (dep.Length > 0 && !dep.StartsWith("$(", StringComparison.Ordinal)) deps.Add(Relative(root, dep));
                continue;
            }
            if (line.StartsWith("source_", StringComparison.Ordinal) && line.IndexOf(" := ", StringComparison.Ordinal) is var at and > 0)
            {
                obj = line["source_".Length..at];
                source = Relative(root, line[(at + 4)..].Trim());
            }
            else if (line.StartsWith("deps_", StringComparison.Ordinal) && line.EndsWith(":= \\", StringComparison.Ordinal)) inDeps = true;
        }
        return obj != null && source != null ? (obj, source, deps) : null;
    }

    private static string Relative(string root, string path)
    {
        if (path.StartsWith(root + "/", StringComparison.Ordinal)) return path[(root.Length + 1)..];
        return path.StartsWith("./", StringComparison.Ordinal) ? path[2..] : path;
    }
}
