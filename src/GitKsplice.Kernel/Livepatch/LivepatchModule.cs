namespace GitKsplice.Livepatch;

/// <summary>
/// The loadable Linux livepatch module of an update: ksplice-&lt;id&gt;/<see cref="File"/> in the tarball.
/// Each fact about the running kernel says where it was read from (<see cref="KernelReleaseSource"/>,
/// <see cref="SymbolPositionsSource"/>), since the module is built for that kernel, not for our build.
/// </summary>
public sealed record LivepatchModule
{
    /// <summary>The file name in the tarball's directory: "ksplice_&lt;id&gt;.ko".</summary>
    public required string File { get; init; }
    /// <summary>The name the kernel knows it by (lsmod, /sys/kernel/livepatch/&lt;name&gt;): '-' becomes '_'.</summary>
    public required string Name { get; init; }
    public required string Sha256 { get; init; }
    /// <summary>The running kernel's release, the one in the module's vermagic ("6.1.192").</summary>
    public required string KernelRelease { get; init; }
    /// <summary>Where the release was read: "bzImage in ORIG_CONFIG", "System.map in ORIG_CONFIG", …</summary>
    public required string KernelReleaseSource { get; init; }
    /// <summary>Where sympos came from: "System.map in ORIG_CONFIG" or "the pre build's vmlinux".</summary>
    public required string SymbolPositionsSource { get; init; }
    /// <summary>klp_patch.replace: true only for a cumulative update (--replace); a series stacks.</summary>
    public bool Replace { get; init; }
    /// <summary>The id of the update whose module must be loaded before this one (a --series update), if any.</summary>
    public string? Follows { get; init; }
    /// <summary>One entry per patched object: "vmlinux" or a loadable module's name.</summary>
    public required IReadOnlyList<PatchedObject> Objects { get; init; }

    public static string FileName(string id) => $"ksplice_{id}.ko";
    public static string ModuleName(string id) => $"ksplice_{id.Replace('-', '_')}";
}

/// <summary>An object (vmlinux or a module) the livepatch module patches, and its replaced functions.</summary>
public sealed record PatchedObject(string Name, IReadOnlyList<PatchedFunction> Functions);

/// <summary>
/// One replaced function: its name in the running kernel and its position among same-named symbols
/// (sympos: 0 when the name is unique in that object, else 1-based in kallsyms order).
/// </summary>
public sealed record PatchedFunction(string OldName, int Sympos);
