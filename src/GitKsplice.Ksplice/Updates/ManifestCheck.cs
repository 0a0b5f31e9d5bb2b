using System.Text.RegularExpressions;
using GitKsplice.Images;
using GitKsplice.Livepatch;
using GitKsplice.Reporting;

namespace GitKsplice.Updates;

/// <summary>
/// What a manifest read from a tarball must be before anything acts on it: the format this version writes, every
/// field present, the module's names the ones its id gives (so no name from a tarball becomes a path or a shell
/// word), the names of patched objects and functions what the kernel allows, and every path relative and inside the
/// update. The id itself is an update id once read (<see cref="UpdateIdConverter"/>).
/// </summary>
public static partial class ManifestCheck
{
    /// <summary>The first field that is wrong, as "field: what is wrong", or null when the manifest is sound.</summary>
    public static string? Problem(Manifest m)
    {
        if (m.Format != Manifest.CurrentFormat) return $"format: {m.Format} is not a format this git-ksplice reads ({Manifest.CurrentFormat})";
        foreach (var (name, value) in new[] { ("pre", m.Pre), ("post", m.Post), ("preTree", m.PreTree), ("postTree", m.PostTree) })
            if (value is null || !ObjectName().IsMatch(value)) return $"{name}: {Quoted.Name(value)} is not a git object name";
        if (m.Objects is null) return "objects: missing";
        for (var i = 0; i < m.Objects.Count; i++)
            if (m.Objects[i] is not { } o) return $"objects[{i}]: null";
            else if (PathProblem(o.Path) is { } why) return $"objects[{i}].path: {why}";
        if (m.Modules is null) return "modules: missing";
        for (var i = 0; i < m.Modules.Count; i++)
            if (m.Modules[i] is not { } module) return $"modules[{i}]: null";
            else if (PathProblem(module.Path) is { } why) return $"modules[{i}].path: {why}";
        return m.Module is { } livepatch ? ModuleProblem(livepatch, m.Id) : null;
    }

    private static string? ModuleProblem(LivepatchModule module, UpdateId id)
    {
        if (module.File != LivepatchModule.FileName(id.Value)) return $"module.file: {Quoted.Name(module.File)} is not {LivepatchModule.FileName(id.Value)}, the file of update {id}";
        if (module.Name != LivepatchModule.ModuleName(id.Value)) return $"module.name: {Quoted.Name(module.Name)} is not {LivepatchModule.ModuleName(id.Value)}, the module of update {id}";
        if (module.Sha256 is null || !Sha256().IsMatch(module.Sha256)) return $"module.sha256: {Quoted.Name(module.Sha256)} is not a sha256";
        if (module.Follows is { } follows && !UpdateId.TryParse(follows, out _)) return $"module.follows: {Quoted.Name(follows)} is not an update id";
        if (module.Objects is null) return "module.objects: missing";
        for (var i = 0; i < module.Objects.Count; i++)
        {
            if (module.Objects[i] is not { } o) return $"module.objects[{i}]: null";
            if (o.Name != "vmlinux" && !KernelModuleName.IsValid(o.Name)) return $"module.objects[{i}].name: {Quoted.Name(o.Name)} is neither vmlinux nor a kernel module name";
            if (o.Functions is null) return $"module.objects[{i}].functions: missing";
            for (var j = 0; j < o.Functions.Count; j++)
                if (o.Functions[j] is not { } f) return $"module.objects[{i}].functions[{j}]: null";
                else if (f.OldName is null || !SymbolName().IsMatch(f.OldName)) return $"module.objects[{i}].functions[{j}].oldName: {Quoted.Name(f.OldName)} is not a symbol name";
                else if (f.Sympos < 0) return $"module.objects[{i}].functions[{j}].sympos: {f.Sympos} is negative";
        }
        return null;
    }

    /// <summary>A path inside the update: relative, without empty, "." or ".." components, NUL or newline.</summary>
    private static string? PathProblem(string? path) =>
        path is null ? "missing"
        : path.Length == 0 || path[0] == '/' || path.Split('/').Any(c => c is "" or "." or "..") || path.Any(c => c is '\0' or '\n')
            ? $"{Quoted.Name(path)} is not a relative path inside the update" : null;

    [GeneratedRegex("^[0-9a-f]{40}([0-9a-f]{24})?$")]
    private static partial Regex ObjectName();

    [GeneratedRegex("^[0-9a-f]{64}$")]
    private static partial Regex Sha256();

    /// <summary>A C symbol with the compiler's suffixes (.isra.0, .cold): what kallsyms lists.</summary>
    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_.$]{0,511}$")]
    private static partial Regex SymbolName();
}
