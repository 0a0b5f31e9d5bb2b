using GitKsplice.Elf;

namespace GitKsplice.Analysis;

/// <summary>What an update's livepatch module does with a section the kernel's build makes.</summary>
public enum SectionUse
{
    /// <summary>A table describing code: the module copies the entries that describe the code it carries.</summary>
    EntriesOfCarriedCode,
    /// <summary>A table's companion (<see cref="KernelSection.Companion"/>): copied as its table's entries are, never on its own.</summary>
    WithItsTable,
    /// <summary>Per-use-site statics: the module carries its own copy of each one carried code refers to.</summary>
    StaticsOfCarriedCode,
    /// <summary>
    /// No entries are copied: the module registers nothing there (it exports nothing, adds no initcall, …) and
    /// the update's code works without them. A place carried code refers to directly still comes along.
    /// </summary>
    Ignored,
    /// <summary>Boot-only code: a change to it is refused (freed after boot, there is nothing to patch).</summary>
    Refused,
}

/// <summary>
/// One section the kernel's build makes, as the analysis and the livepatch module see it. <paramref name="Name"/>
/// is matched as a prefix by the analysis (__ksymtab covers __ksymtab_gpl) and exactly by the extractor.
/// </summary>
/// <param name="EntrySize">Bytes per entry of an <see cref="SectionUse.EntriesOfCarriedCode"/> table; 0 when the object says (see <see cref="EntrySizeOf"/>).</param>
/// <param name="KeyOffset">For a jump-label or static-call table, where in an entry the relocation to the key is; else -1.</param>
/// <param name="Companion">A section that goes with the table: a parallel array (ORC) or what its entries point into (alternatives).</param>
/// <param name="CompanionEntrySize">Bytes per entry of a parallel companion, whose entry i goes with the table's entry i; 0 when the companion is carried whole.</param>
public sealed record KernelSection(string Name, SectionUse Use, int EntrySize = 0, int KeyOffset = -1, string? Companion = null,
    int CompanionEntrySize = 0)
{
    /// <summary>
    /// The entry size of a table in one object. __bug_table's entries are 12 bytes with CONFIG_DEBUG_BUGVERBOSE
    /// (a relocation to the file name at +4) and 8 without.
    /// </summary>
    public int EntrySizeOf(ReadOnlySpan<ElfRelocation> relocations)
    {
        if (EntrySize != 0) return EntrySize;
        foreach (var r in relocations)
            if (r.Offset % 12 == 4) return 12;
        return 8;
    }
}

/// <summary>
/// The one catalogue of what the Linux kernel's build puts into objects besides code and data: the tables that
/// describe code, the per-use-site statics kernel macros and the compiler make, metadata, and boot-only code.
/// Every entry of a table is tied to the function it describes by a relocation at offset 0 of the entry to
/// that function's code; a static is tied to its function by the function's reference to it. The analysis
/// (which sections it compares, which statics it does not correlate) and the livepatch extractor (which entries
/// and statics the module carries) both ask these predicates, so the two cannot disagree.
/// </summary>
public static class KernelCatalogue
{
    /// <summary>The kernel's own sections, by what an update's module does with them.</summary>
    public static readonly KernelSection[] Sections =
    [
        // ftrace's call sites: a carried function without its entry could not be traced (nor redirected again).
        new("__mcount_loc", SectionUse.EntriesOfCarriedCode, 8),
        new("__patchable_function_entries", SectionUse.EntriesOfCarriedCode, 8),
        // Exception fix-ups and BUG()/WARN() sites: without them a fault or a WARN in carried code is fatal.
        new("__ex_table", SectionUse.EntriesOfCarriedCode, 12),
        new("__bug_table", SectionUse.EntriesOfCarriedCode),
        // Code the kernel patches in place at load: alternatives, lock prefixes, mitigations' call and return sites.
        new(".altinstructions", SectionUse.EntriesOfCarriedCode, 12, Companion: ".altinstr_replacement"),
        new(".altinstr_replacement", SectionUse.WithItsTable),
        new(".smp_locks", SectionUse.EntriesOfCarriedCode, 4),
        new(".retpoline_sites", SectionUse.EntriesOfCarriedCode, 4),
        new(".return_sites", SectionUse.EntriesOfCarriedCode, 4),
        new(".call_sites", SectionUse.EntriesOfCarriedCode, 4),
        new(".ibt_endbr_seal", SectionUse.EntriesOfCarriedCode, 4),
        // The ORC unwinder: .orc_unwind_ip and .orc_unwind are parallel arrays (4-byte address, 6-byte data).
        new(".orc_unwind_ip", SectionUse.EntriesOfCarriedCode, 4, Companion: ".orc_unwind", CompanionEntrySize: 6),
        new(".orc_unwind", SectionUse.WithItsTable),
        new(".orc_header", SectionUse.Ignored),
        // Jump labels and static calls: the key an entry names must be resolved before the kernel reads the table.
        new(".static_call_sites", SectionUse.EntriesOfCarriedCode, 8, KeyOffset: 4),
        new("__jump_table", SectionUse.EntriesOfCarriedCode, 16, KeyOffset: 8),
        // ONCE flags (WARN_ONCE, printk_once, DO_ONCE; .data.unlikely in older kernels) and dynamic-debug
        // descriptors (__verbose before 5.9): state of one call site, which the update's code keeps for itself.
        new(".data.once", SectionUse.StaticsOfCarriedCode),
        new(".data..once", SectionUse.StaticsOfCarriedCode),
        new(".data.unlikely", SectionUse.StaticsOfCarriedCode),
        new("__dyndbg", SectionUse.StaticsOfCarriedCode),
        new("__verbose", SectionUse.StaticsOfCarriedCode),
        // Registrations and exports a livepatch module does not make: it adds no symbol, parameter or initcall.
        new("__ksymtab", SectionUse.Ignored), new("___ksymtab", SectionUse.Ignored), new("__kcrctab", SectionUse.Ignored),
        new(".export_symbol", SectionUse.Ignored), new(".modinfo", SectionUse.Ignored), new("__param", SectionUse.Ignored),
        new("__modver", SectionUse.Ignored), new(".initcall", SectionUse.Ignored), new(".con_initcall", SectionUse.Ignored),
        new(".security_initcall", SectionUse.Ignored), new(".exitcall", SectionUse.Ignored), new(".exit.data", SectionUse.Ignored),
        // Tables that list code or strings for tools and tracing; the update's code works without its entries.
        new(".printk_index", SectionUse.Ignored), new("__tracepoint_str", SectionUse.Ignored), new("__bpf_raw_tp_map", SectionUse.Ignored),
        new("__syscalls_metadata", SectionUse.Ignored), new("_ftrace_events", SectionUse.Ignored), new("_ftrace_eval_map", SectionUse.Ignored),
        new("__kprobes_blacklist", SectionUse.Ignored), new("_kprobe_blacklist", SectionUse.Ignored),
        new("__error_injection_whitelist", SectionUse.Ignored), new("__func_stack_frame_non_standard", SectionUse.Ignored),
        new(".kcfi_traps", SectionUse.Ignored), new(".static_call.text", SectionUse.Ignored), new(".altinstr_aux", SectionUse.Ignored),
        new(".parainstructions", SectionUse.Ignored), new(".fixup", SectionUse.Ignored), new(".discard", SectionUse.Ignored),
        // Boot: code there is refused, data there is not compared (it is gone once the kernel runs).
        new(".init.", SectionUse.Refused), new(".head.text", SectionUse.Refused),
    ];

    /// <summary>Metadata the toolchain writes about code (debug info, unwind tables, notes): never compared, never carried.</summary>
    private static readonly string[] ToolchainMetadata =
    [
        ".debug", ".zdebug", ".note", ".comment", ".eh_frame", ".gnu.", ".llvm", ".BTF", ".ARM.exidx", ".ARM.extab",
        ".ARM.attributes", ".MIPS.", ".mdebug", ".reginfo", ".pdr", ".gcc_except_table", ".stack", ".sframe",
    ];

    /// <summary>The tables whose entries describe code, in the order the extractor copies them.</summary>
    public static readonly KernelSection[] CodeTables = Of(SectionUse.EntriesOfCarriedCode);

    // Looked up per section and per static of every object: names kept apart from the records.
    private static readonly string[] StaticSections = [.. Of(SectionUse.StaticsOfCarriedCode).Select(k => k.Name)];
    private static readonly string[] BootPrefixes = [.. Of(SectionUse.Refused).Select(k => k.Name)];
    private static readonly string[] KernelPrefixes = [.. Sections.Select(k => k.Name)];

    private static KernelSection[] Of(SectionUse use) => [.. Sections.Where(k => k.Use == use)];

    /// <summary>Code sections that run only while the kernel boots: changing them cannot affect a running kernel.</summary>
    public static bool IsInitCode(ElfSection s)
    {
        foreach (var p in BootPrefixes)
            if (s.Name.StartsWith(p, StringComparison.Ordinal)) return true;
        return false;
    }

    /// <summary>True when <paramref name="s"/> is metadata about code (or boot-only data), not compared.</summary>
    public static bool IsIgnored(ElfSection s)
    {
        if (s.Type is SectionType.Null or SectionType.SymTab or SectionType.StrTab or SectionType.Rela
            or SectionType.Rel or SectionType.Group or SectionType.SymTabShndx or SectionType.Note)
            return true;
        // __init functions live in .init.text and are code we do analyse (and refuse to change).
        if (s.IsExecutable && IsInitCode(s)) return false;
        var name = s.Name;
        // UBSAN's source locations and type descriptors: a line and column, and a flag the kernel sets once reported.
        if (name.StartsWith(".data..Lubsan", StringComparison.Ordinal)) return true;
        // The sections -ffunction-sections and -fdata-sections make (and the ONCE flags' .data sections): code and data.
        if (name.StartsWith(".text.", StringComparison.Ordinal) || name.StartsWith(".data.", StringComparison.Ordinal)
            || name.StartsWith(".bss.", StringComparison.Ordinal) || name.StartsWith(".rodata.", StringComparison.Ordinal))
            return false;
        foreach (var p in ToolchainMetadata)
            if (name.StartsWith(p, StringComparison.Ordinal)) return true;
        foreach (var p in KernelPrefixes)
            if (name.StartsWith(p, StringComparison.Ordinal)) return true;
        return false;
    }

    /// <summary>
    /// Statics the compiler or a kernel macro makes for one use site: WARN_ONCE's flag, lockdep's class key,
    /// __func__, printk_ratelimited's state, gcc's switch tables, dynamic-debug descriptors, printk-index entries,
    /// netlink's error messages. An update gets its own fresh copy with the functions that use them (as kpatch
    /// does): the analysis never correlates them as existing state nor compares their contents, and the module
    /// carries them. <paramref name="family"/> is the section's kind (<see cref="ObjectModel.Family"/>).
    /// </summary>
    public static bool IsSpecialStatic(string baseName, string family)
    {
        if (Array.IndexOf(StaticSections, family) >= 0) return true;
        // clang names a function's static "function.__key"; gcc "__key.12" (the number is already gone here).
        var name = baseName.LastIndexOf('.') is var dot and > 0 ? baseName[(dot + 1)..] : baseName;
        return name is "__warned" or "__already_done" or "__print_once" or "__key" or "__func__" or "__FUNCTION__"
                   or "__PRETTY_FUNCTION__" or "_rs" or "CSWTCH" or "descriptor" or "_entry" or "_entry_ptr"
                   or "__msg" or "__print_fmt"
            || name.StartsWith("__UNIQUE_ID_ddebug", StringComparison.Ordinal)
            || name.StartsWith("__already_done", StringComparison.Ordinal);
    }
}
