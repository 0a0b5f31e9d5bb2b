using GitKsplice.Livepatch;
using GitKsplice.Updates;

namespace GitKsplice.Live;

/// <summary>One check made before an update is loaded: its name, whether it passed, and what it found.</summary>
public sealed record LiveCheck(string Name, bool Passed, string Detail);

/// <summary>
/// The checks that decide whether an update's module may go onto a target's kernel, as pure functions of what the
/// update says and what the target said: the release and vermagic, the update's pre System.map against the
/// target's kallsyms for every replaced function, and the series. Each failure says what the target runs.
/// </summary>
public static class LiveChecks
{
    /// <summary>The symbol every text address is measured from, so that a relocated (KASLR) kernel compares equal.</summary>
    public const string Base = "_text";

    public static LiveCheck Release(UpdateId id, string moduleRelease, TargetFacts target, string host) =>
        moduleRelease == target.Release
            ? new("release", true, $"{host} runs {target.Release}")
            : new("release", false, $"update {id} is built for kernel {moduleRelease}, but {host} runs {target.Release}");

    /// <summary>
    /// The build flags vermagic carries after the release (SMP, preempt) against the ones /proc/version shows;
    /// the kernel's own loader compares the rest.
    /// </summary>
    public static LiveCheck Vermagic(UpdateId id, string vermagic, TargetFacts target, string host)
    {
        var flags = vermagic.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).ToHashSet(StringComparer.Ordinal);
        var version = target.Version.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var smp = version.Contains("SMP");
        var preempt = version.Any(w => w.StartsWith("PREEMPT", StringComparison.Ordinal));
        string? Mismatch(string flag, bool inModule, bool inKernel) =>
            inModule == inKernel ? null : $"update {id}'s module is built {(inModule ? "with" : "without")} {flag}, but the kernel of {host} is {(inKernel ? "" : "not ")}{flag} ({target.Version.Trim()})";
        var problem = Mismatch("SMP", flags.Contains("SMP"), smp)
            ?? Mismatch("preempt", flags.Contains("preempt") || flags.Contains("preempt_rt"), preempt);
        return problem == null ? new("vermagic", true, vermagic.Trim()) : new("vermagic", false, problem);
    }

    /// <summary>
    /// Every replaced vmlinux function must be in the target's kallsyms as often as in the update's pre System.map,
    /// and at the same offset from <see cref="Base"/>: otherwise the target runs another build, whose code the module
    /// was not made for. Hidden addresses (kptr_restrict) leave the counts to compare.
    /// </summary>
    public static LiveCheck Symbols(UpdateId id, LivepatchModule module, IReadOnlyDictionary<string, List<(ulong Address, char Type)>> systemMap,
        IReadOnlyList<KallsymsEntry> kallsyms, string host)
    {
        static bool IsText(char type) => type is 't' or 'T';
        var vmlinux = kallsyms.Where(k => k.Module == null).ToList();
        var mapBase = systemMap.GetValueOrDefault(Base)?.FirstOrDefault().Address;
        var targetBase = vmlinux.FirstOrDefault(k => k.Name == Base)?.Address;
        var hidden = vmlinux.Count > 0 && vmlinux.All(k => k.Address == 0);
        var checkedCount = 0;
        var notes = new List<string>();
        foreach (var obj in module.Objects)
        {
            if (obj.Name != "vmlinux")
            {
                if (!kallsyms.Any(k => k.Module == obj.Name))
                    notes.Add($"module {obj.Name} is not loaded on {host}: its functions are patched when it loads");
                else if (obj.Functions.FirstOrDefault(f => !kallsyms.Any(k => k.Module == obj.Name && k.Name == f.OldName)) is { } absent)
                    return new("symbols", false, $"{absent.OldName} is not in module {obj.Name} on {host}: it runs another build of that module");
                continue;
            }
            foreach (var f in obj.Functions)
            {
                var inMap = (systemMap.GetValueOrDefault(f.OldName) ?? []).Where(e => IsText(e.Type)).ToList();
                var onTarget = vmlinux.Where(k => k.Name == f.OldName && IsText(k.Type)).ToList();
                if (onTarget.Count == 0)
                    return new("symbols", false, $"{f.OldName} is not in the kernel of {host}: it runs another kernel than update {id}'s");
                if (inMap.Count == 0)
                    return new("symbols", false, $"{f.OldName} is not in update {id}'s System.map: it is not the System.map the update was built with");
                if (inMap.Count != onTarget.Count)
                    return new("symbols", false, $"{f.OldName}: {inMap.Count} function(s) of that name in update {id}'s System.map, {onTarget.Count} in the kernel of {host}: it runs another build");
                var position = Math.Max(f.Sympos, 1) - 1;
                if (position >= onTarget.Count)
                    return new("symbols", false, $"{f.OldName},{f.Sympos}: the kernel of {host} has only {onTarget.Count} function(s) of that name");
                if (!hidden && mapBase is { } mb && targetBase is { } tb)
                {
                    var expected = inMap[position].Address - mb;
                    var actual = onTarget[position].Address - tb;
                    if (expected != actual)
                        return new("symbols", false, $"{f.OldName} is at {Base}+0x{actual:x} in the kernel of {host} but at {Base}+0x{expected:x} in update {id}'s System.map: {host} runs another build of {f.OldName}'s kernel");
                }
                checkedCount++;
            }
        }
        var how = hidden ? "counted (the target hides kernel addresses)" : mapBase == null || targetBase == null ? $"counted (no {Base} to measure from)" : "at the same offsets";
        notes.Insert(0, $"{checkedCount} replaced function(s) {how} as in the update's System.map");
        return new("symbols", true, string.Join("; ", notes));
    }

    /// <summary>A --series update patches code its predecessor's module brought: that module must be live first.</summary>
    public static LiveCheck Series(UpdateId id, string? follows, TargetView view, string host)
    {
        if (follows == null) return new("series", true, "follows no other update");
        var module = LivepatchModule.ModuleName(follows);
        return view.Find(module) is { Enabled: true, InTransition: false }
            ? new("series", true, $"follows {follows}, applied on {host}")
            : new("series", false, $"update {id} follows {follows} in its series, which is not applied on {host}: apply {follows} first");
    }

    /// <summary>The update must not be live there already.</summary>
    public static LiveCheck NotApplied(UpdateId id, string module, TargetView view, string host) =>
        view.Find(module) is { } loaded
            ? new("not applied", false, $"update {id} is already {(loaded.InTransition ? "in transition" : loaded.Enabled ? "applied" : "loaded (disabled)")} on {host} ({module})")
            : new("not applied", true, $"{module} is not loaded on {host}");
}
