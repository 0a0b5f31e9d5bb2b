using GitKsplice.Elf;

namespace GitKsplice.Analysis;

/// <summary>
/// Pass 4 (kernel rules): recognises a function whose only difference is the __LINE__ it passes to a WARN, BUG,
/// might_sleep or printk-style call. The compiler loads the line number as an instruction immediate right before
/// the call, so adding a blank line above such a call changes bytes without changing behaviour.
/// </summary>
internal static class LineNumberChanges
{
    /// <summary>How far after the immediate the call may come (argument set-up in between).</summary>
    private const int CallWindow = 96;

    /// <summary>
    /// The callee that takes the changed line number, or null when some difference is not a line-number immediate
    /// passed to such a callee. <paramref name="calls"/> are the patched function's relocations: offset and name.
    /// </summary>
    public static string? FindCallee(ElfFile file, ReadOnlySpan<byte> original, ReadOnlySpan<byte> patched,
        IReadOnlyList<(long Offset, string Name)> calls)
    {
        if (original.Length != patched.Length) return null;
        return file.Machine switch
        {
            Machine.X86_64 or Machine.I386 => X86(original, patched, calls),
            Machine.AArch64 => AArch64(file, original, patched, calls),
            _ => null,
        };
    }

    /// <summary>x86: each differing run must lie inside the imm32 of "mov $imm32, %r32" (B8+r, or C7 /0).</summary>
    private static string? X86(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, IReadOnlyList<(long Offset, string Name)> calls)
    {
        string? callee = null;
        int i = 0;
        while (i < a.Length)
        {
            if (a[i] == b[i]) { i++; continue; }
            int end = -1;
            string? found = null;
            // The immediate most likely starts at the first differing byte (the line's low byte); try that first.
            for (int immediate = i; immediate >= Math.Max(1, i - 3) && found == null; immediate--)
            {
                bool movB8 = a[immediate - 1] is >= 0xB8 and <= 0xBF && b[immediate - 1] == a[immediate - 1];
                bool movC7 = immediate >= 2 && a[immediate - 2] == 0xC7 && b[immediate - 2] == 0xC7
                             && a[immediate - 1] is >= 0xC0 and <= 0xC7 && b[immediate - 1] == a[immediate - 1];
                if (!movB8 && !movC7 || immediate + 4 > a.Length) continue;
                found = CalleeAfter(calls, immediate + 4);
                end = immediate + 4;
            }
            if (found == null) return null;
            callee ??= found;
            i = end;
        }
        return callee;
    }

    /// <summary>AArch64: each differing word must be a MOVZ/MOVN/MOVK to the same register, differing in imm16 only.</summary>
    private static string? AArch64(ElfFile file, ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, IReadOnlyList<(long Offset, string Name)> calls)
    {
        if (a.Length % 4 != 0) return null;
        string? callee = null;
        for (int o = 0; o < a.Length; o += 4)
        {
            uint x = file.U32(a, o), y = file.U32(b, o);
            if (x == y) continue;
            bool wideMove = ((x >> 23) & 0x3f) == 0x25 && (x & 0xffe0001f) == (y & 0xffe0001f);
            if (!wideMove) return null;
            var found = CalleeAfter(calls, o + 4);
            if (found == null) return null;
            callee ??= found;
        }
        return callee;
    }

    private static string? CalleeAfter(IReadOnlyList<(long Offset, string Name)> calls, int from)
    {
        foreach (var (offset, name) in calls)
            if (offset >= from && offset < from + CallWindow && KernelRules.TakesLineNumber(name))
                return name;
        return null;
    }
}
