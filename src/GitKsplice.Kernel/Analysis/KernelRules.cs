using GitKsplice.Elf;

namespace GitKsplice.Analysis;

/// <summary>
/// The shapes of kernel code that are not part of a function's behaviour: the padding symbols in front of a
/// function and the calls that take a __LINE__. What the build puts into sections is <see cref="KernelCatalogue"/>.
/// </summary>
public static class KernelRules
{
    /// <summary>Names of the padding symbols the kernel's build puts in front of a function (CALL_PADDING, kCFI).</summary>
    public static readonly string[] FunctionPrefixes = ["__pfx_", "__cfi_"];

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
