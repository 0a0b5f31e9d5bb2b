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

    /// <summary>
    /// With the patch known: true when every difference is an instruction immediate holding an old line number
    /// in the original and that line's new number in the patched code (x86 imm32, imm16 or imm8; AArch64
    /// MOVZ/MOVN/MOVK), whatever the code does with it.
    /// </summary>
    public static bool OnlyMovedLines(ElfFile file, ReadOnlySpan<byte> original, ReadOnlySpan<byte> patched, PatchLines.FileLines lines)
    {
        if (original.Length != patched.Length) return false;
        return file.Machine switch
        {
            Machine.X86_64 or Machine.I386 => X86MovedLines(original, patched, lines),
            Machine.AArch64 => AArch64MovedLines(file, original, patched, lines),
            _ => false,
        };
    }

    private static bool X86MovedLines(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, PatchLines.FileLines lines)
    {
        bool any = false;
        int i = 0;
        while (i < a.Length)
        {
            if (a[i] == b[i]) { i++; continue; }
            int end = -1;
            foreach (int width in (ReadOnlySpan<int>)[4, 2, 1])
            {
                for (int start = Math.Max(0, i - width + 1); start <= i && end < 0; start++)
                {
                    if (start + width > a.Length) break;
                    long old = Immediate(a.Slice(start, width)), moved = Immediate(b.Slice(start, width));
                    if (IsMovedLine(lines, old, moved)) end = start + width;
                }
                if (end >= 0) break;
            }
            if (end < 0) return false;
            any = true;
            i = end;
        }
        return any;
    }

    private static bool AArch64MovedLines(ElfFile file, ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, PatchLines.FileLines lines)
    {
        if (a.Length % 4 != 0) return false;
        bool any = false;
        for (int o = 0; o < a.Length; o += 4)
        {
            uint x = file.U32(a, o), y = file.U32(b, o);
            if (x == y) continue;
            bool wideMove = ((x >> 23) & 0x3f) == 0x25 && (x & 0xffe0001f) == (y & 0xffe0001f);
            if (!wideMove || !IsMovedLine(lines, (x >> 5) & 0xffff, (y >> 5) & 0xffff)) return false;
            any = true;
        }
        return any;
    }

    private static long Immediate(ReadOnlySpan<byte> le)
    {
        long value = 0;
        for (int k = le.Length - 1; k >= 0; k--) value = value << 8 | le[k];
        return value;
    }

    private static bool IsMovedLine(PatchLines.FileLines lines, long old, long moved) =>
        old != moved && old is > 0 and < int.MaxValue && lines.NewLine((int)old) == moved;

    private static string? CalleeAfter(IReadOnlyList<(long Offset, string Name)> calls, int from)
    {
        foreach (var (offset, name) in calls)
            if (offset >= from && offset < from + CallWindow && KernelRules.TakesLineNumber(name))
                return name;
        return null;
    }
}
