using GitKsplice.Elf;

namespace GitKsplice.Analysis;

/// <summary>
/// What the Linux kernel's build puts into objects that is not part of a function's behaviour: sections the
/// build regenerates, tables of call sites and fix-ups, debug data, and the calls that take a __LINE__.
/// </summary>
public static class KernelRules
{
    /// <summary>
    /// Sections that are never compared as data and whose relocations never make a function look changed:
    /// metadata about code (regenerated from it) rather than code or data the patched kernel runs with.
    /// </summary>
    private static readonly string[] IgnoredPrefixes =
    [
        ".debug", ".zdebug", ".note", ".comment", ".eh_frame", ".discard", ".gnu.", ".llvm", ".BTF",
        "__mcount_loc", "__patchable_function_entries", "__bug_table", "__ex_table", ".altinstructions",
        ".altinstr_aux", ".altinstr_replacement", "__jump_table", ".smp_locks", ".parainstructions",
        ".static_call_sites", ".static_call.text", ".retpoline_sites", ".return_sites", ".call_sites",
        ".ibt_endbr_seal", ".orc_unwind", ".orc_header", "__dyndbg", "__verbose", ".printk_index", "__ksymtab", "___ksymtab", "__kcrctab",
        ".modinfo", ".initcall", "__param", "__modver", ".export_symbol", "__tracepoint_str", "__bpf_raw_tp_map",
        "__syscalls_metadata", "_ftrace_events", "_ftrace_eval_map", "__kprobes_blacklist", "_kprobe_blacklist",
        "__error_injection_whitelist", "__func_stack_frame_non_standard", ".kcfi_traps", ".init.", ".exit.data",
        ".exitcall", ".con_initcall", ".security_initcall", ".fixup", "__ex_table", ".ARM.exidx", ".ARM.extab",
        ".ARM.attributes", ".MIPS.", ".mdebug", ".reginfo", ".pdr", ".gcc_except_table", ".stack", ".sframe",
    ];

    /// <summary>Names of the padding symbols the kernel's build puts in front of a function (CALL_PADDING, kCFI).</summary>
    public static readonly string[] FunctionPrefixes = ["__pfx_", "__cfi_"];

    /// <summary>Code sections that run only while the kernel boots: changing them cannot affect a running kernel.</summary>
    public static bool IsInitCode(ElfSection s) => s.Name.StartsWith(".init.", StringComparison.Ordinal)
        || s.Name.StartsWith(".head.text", StringComparison.Ordinal);

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
        // The sections -ffunction-sections and -fdata-sections make: nearly all of them, decided without the list.
        if (name.StartsWith(".text.", StringComparison.Ordinal) || name.StartsWith(".data.", StringComparison.Ordinal)
            || name.StartsWith(".bss.", StringComparison.Ordinal) || name.StartsWith(".rodata.", StringComparison.Ordinal))
            return false;
        foreach (var p in IgnoredPrefixes)
            if (name.StartsWith(p, StringComparison.Ordinal)) return true;
        return false;
    }

    /// <summary>
    /// Statics the compiler or a kernel macro makes for one use site: WARN_ONCE's flag, lockdep's class key,
    /// __func__, printk_ratelimited's state, gcc's switch tables, dynamic-debug and printk-index entries. An update
    /// gets its own fresh copy with the functions that use them (as kpatch does): they are never correlated as
    /// existing state, and their contents are not compared.
    /// </summary>
    internal static bool IsSpecialStatic(string baseName, string family)
    {
        if (family is ".data.once" or ".data..once" or ".data.unlikely") return true;
        // clang names a function's static "function.__key"; gcc "__key.12" (the number is already gone here).
        var name = baseName.LastIndexOf('.') is var dot and > 0 ? baseName[(dot + 1)..] : baseName;
        return name is "__warned" or "__already_done" or "__print_once" or "__key" or "__func__" or "__FUNCTION__"
                   or "__PRETTY_FUNCTION__" or "_rs" or "CSWTCH" or "descriptor" or "_entry" or "_entry_ptr"
                   or "__msg" or "__print_fmt"
            || name.StartsWith("__UNIQUE_ID_ddebug", StringComparison.Ordinal)
            || name.StartsWith("__already_done", StringComparison.Ordinal);
    }

    /// <summary>
    /// Callees that take the caller's __LINE__ (WARN, BUG, might_sleep, printk and their helpers): a function whose
    /// only difference is the line number loaded for one of these did not change behaviour.
    /// </summary>
    public static bool TakesLineNumber(string callee)
    {
        var name = SymbolNames.BaseName(callee);
        return name is "printk" or "_printk" or "vprintk" or "warn_slowpath_fmt" or "__warn_printk" or "__warn"
                   or "report_bug" or "panic" or "lockdep_rcu_suspicious" or "__lockdep_warn"
            || name.TrimStart('_').StartsWith("might_", StringComparison.Ordinal)
            || name.StartsWith("__dynamic_", StringComparison.Ordinal)
            || name.StartsWith("__rcu_", StringComparison.Ordinal) && name.EndsWith("_check", StringComparison.Ordinal)
            || name.StartsWith("__ubsan_handle", StringComparison.Ordinal)
            || name.StartsWith("__kasan_report", StringComparison.Ordinal)
            || name.StartsWith("kunit_", StringComparison.Ordinal) && name.Contains("assert", StringComparison.Ordinal)
            || name.StartsWith("__btrfs_", StringComparison.Ordinal) || name.StartsWith("__ext4_", StringComparison.Ordinal)
            || name.StartsWith("_dev_", StringComparison.Ordinal) || name.StartsWith("dev_", StringComparison.Ordinal) && name.EndsWith("printk", StringComparison.Ordinal);
    }
}
