using System.Runtime.ExceptionServices;
using GitKsplice.Elf;

namespace GitKsplice.Analysis;

/// <summary>
/// Compares two ELF relocatable objects of one translation unit, function by function, as a pipeline of passes:
/// correlate (<see cref="Correlation"/>) → compare (<see cref="ItemComparer"/>) → classify (here) with the Linux
/// kernel's rules (<see cref="KernelRules"/>, <see cref="LineNumberChanges"/>). Pure: reads files, nothing else.
/// </summary>
public sealed class ElfObjectAnalyzer : IObjectAnalyzer
{
    public ObjectComparison Compare(string? originalPath, string? patchedPath, ComparisonContext? context = null)
    {
        if (originalPath == null && patchedPath == null)
            throw new ObjectFormatException("no object to compare: both the original and the patched object are missing");
        var (original, patched) = Both(() => originalPath == null ? null : Load(originalPath),
            () => patchedPath == null ? null : Load(patchedPath));
        context?.Cancel.ThrowIfCancellationRequested();
        return Compare(original, patched, context);
    }

    /// <summary>Compares objects already read; either may be null (an object the change added or removed).</summary>
    public ObjectComparison Compare(ElfFile? original, ElfFile? patched, ComparisonContext? context = null)
    {
        if (original != null && patched != null && original.Description != patched.Description)
            throw new ObjectFormatException($"{original.DisplayName} is {original.Description} but {patched.DisplayName} is {patched.Description}; both must be built for the same machine");
        var cancel = context?.Cancel ?? CancellationToken.None;
        var (o, p) = Both(() => Model(original, cancel), () => Model(patched, cancel));
        try
        {
            var lines = o?.SourceFile is { } source ? context?.Patch?.For(source) : null;
            return new Classification(o, p, lines, cancel).Run();
        }
        catch (ElfFormatException e)
        {
            // Relocation tables are decoded on first use, so a corrupt one may be found only here.
            throw new ObjectFormatException(e.Message);
        }
    }

    private static ElfFile Load(string path)
    {
        try { return ElfFile.Open(path); }
        catch (ElfFormatException e) { throw new ObjectFormatException(e.Message); }
    }

    private static ObjectModel? Model(ElfFile? file, CancellationToken cancel)
    {
        try { return file == null ? null : new ObjectModel(file, cancel); }
        catch (ElfFormatException e) { throw new ObjectFormatException(e.Message); }
    }

    /// <summary>
    /// Runs two independent steps at once (reading or indexing the two objects); when both fail, the
    /// original's error is the one reported, as if they had run in order.
    /// </summary>
    private static (T?, T?) Both<T>(Func<T?> first, Func<T?> second) where T : class
    {
        var firstTask = Task.Run(first);
        T? secondResult = null;
        ExceptionDispatchInfo? secondError = null;
        try { secondResult = second(); }
        catch (Exception e) { secondError = ExceptionDispatchInfo.Capture(e); }
        var firstResult = firstTask.GetAwaiter().GetResult();
        secondError?.Throw();
        return (firstResult, secondResult);
    }

    /// <summary>Pass 3: turns the correlated, compared pairs into changed/new/removed functions and unsafe findings.</summary>
    private sealed class Classification(ObjectModel? original, ObjectModel? patched, PatchLines.FileLines? lines, CancellationToken cancel)
    {
        private readonly Correlation _correlation = Correlation.Build(original, patched);
        private readonly Dictionary<string, SymbolChange> _functions = new(StringComparer.Ordinal);
        private readonly List<SymbolChange> _data = [];
        private readonly List<UnsafeFinding> _unsafe = [];

        public ObjectComparison Run()
        {
            var comparer = original != null && patched != null ? new ItemComparer(original, patched, _correlation, lines) : null;
            CompareFunctions(comparer);
            CompareData(comparer);
            cancel.ThrowIfCancellationRequested();
            CheckSymbolAttributes();
            CheckStaticLocals();
            RideReadOnlyData();
            FoldSplitParts();
            FoldPrefixes();
            cancel.ThrowIfCancellationRequested();
            AccountForEveryByte();
            cancel.ThrowIfCancellationRequested();

            var functions = _functions.Values.OrderBy(c => c.Symbol, StringComparer.Ordinal)
                .Select(f => f.Status is "changed" or "new" ? f with { Carries = Carried(f) } : f).ToList();
            List<string> Names(string status) => functions.Where(f => f.Status == status).Select(f => f.Symbol).ToList();
            return new ObjectComparison(
                Names("changed"), Names("new"), Names("removed"),
                _unsafe.DistinctBy(u => (u.Kind, u.Symbol)).ToList(),
                functions.Where(f => f.Status == "line-only").Select(f => new LineOnlyChange(f.Symbol, f.Reason!)).ToList())
            {
                Details = functions.Concat(_data.OrderBy(d => d.Symbol, StringComparer.Ordinal)).ToList(),
                ComparedBytes = (original?.ComparedBytes ?? 0) + (patched?.ComparedBytes ?? 0),
            };
        }

        private void CompareFunctions(ItemComparer? comparer)
        {
            var initChanges = new List<(Item, Item, string)>();
            foreach (var f in original?.Functions ?? [])
            {
                cancel.ThrowIfCancellationRequested();
                if (_correlation.PartnerOf(f) is not { } p)
                {
                    Record(f.Name, "removed", f, null, null);
                    continue;
                }
                if (comparer!.Compare(f, p) is not { } difference) continue;
                if (difference.IsLineOnly) Record(p.Name, "line-only", f, p, difference.Reason);
                else if (KernelCatalogue.IsInitCode(p.Section)) initChanges.Add((f, p, difference.Reason));
                else Record(p.Name, "changed", f, p, difference.Reason);
            }
            foreach (var p in patched?.Functions ?? [])
                if (!_correlation.Original.ContainsKey(p))
                    Record(p.Name, "new", null, p, null);
            foreach (var (f, p, reason) in initChanges)
            {
                // __init code that inlined a changed function: the same code, only a string it shares with that function
                // differs. The function is replaced; the __init copy ran at boot and never runs again.
                var inlined = reason.StartsWith("string literal ", StringComparison.Ordinal) && !reason.Contains("; ", StringComparison.Ordinal)
                    ? _functions.Values.FirstOrDefault(c => c.Status == "changed" && c.Reason!.Contains(reason, StringComparison.Ordinal))
                    : null;
                if (inlined != null)
                    _data.Add(new SymbolChange(p.Name, "function", "boot-only", f.Name, p.Name,
                        $"__init code that inlined {inlined.Symbol}() ({reason}); it ran at boot and is not replaced"));
                else
                    Unsafe("init-changed", p.Name, $"{p.Name}() is __init code, which ran once at boot and is gone; changing it cannot affect a running kernel ({reason})");
            }
        }

        /// <summary>Read-only objects whose contents changed, with why (in the patched object).</summary>
        private readonly Dictionary<Item, string> _changedReadOnly = [];

        /// <summary>The .cold pieces that changed or are new, which their functions carry.</summary>
        private readonly HashSet<string> _changedColdParts = new(StringComparer.Ordinal);

        private void CompareData(ItemComparer? comparer)
        {
            foreach (var d in original?.Data ?? [])
            {
                cancel.ThrowIfCancellationRequested();
                if (_correlation.PartnerOf(d) is not { } p)
                {
                    _data.Add(new SymbolChange(d.Name, "data", "removed", d.Name, null, null));
                    continue;
                }
                if (d.Section.IsStrings || p.Section.IsStrings || d.Family != p.Family) continue; // strings: by content; moves: below
                bool readOnly = d.IsReadOnly && p.IsReadOnly;
                // A writable special static is the update's own: its contents (a line number, flags) are not state to keep.
                if (!readOnly && (d.IsSpecialStatic || p.IsSpecialStatic)) continue;
                if (d.Size != p.Size)
                {
                    var sizes = $"size {d.Size} → {p.Size} bytes";
                    if (readOnly) ReadOnlyChanged(d, p, sizes);
                    else Unsafe("data-size-changed", p.Name, $"the size of {Describe(p)} changed from {d.Size} to {p.Size} bytes; the running kernel keeps the old object, and code built for the new size would read or write past it");
                    continue;
                }
                if (d.Section.IsNoBits || p.Section.IsNoBits) continue; // zero-initialised: nothing but the size to compare
                if (comparer!.Compare(d, p) is not { } difference) continue;
                if (readOnly) ReadOnlyChanged(d, p, difference.Reason);
                else Unsafe("data-changed", p.Name, $"the initial contents of {Describe(p)} changed ({difference.Reason}); a hot update cannot re-initialise data that already exists in the running kernel");
            }
            foreach (var p in patched?.Data ?? [])
                if (!_correlation.Original.ContainsKey(p))
                    _data.Add(new SymbolChange(p.Name, "data", "new", null, p.Name, null));
        }

        private void ReadOnlyChanged(Item o, Item p, string reason)
        {
            _changedReadOnly[p] = reason;
            _data.Add(new SymbolChange(p.Name, "data", "changed", o.Name, p.Name, reason));
        }

        /// <summary>
        /// Read-only data cannot have been modified by the running kernel, so a changed copy rides with the functions
        /// that use it: each becomes a changed function and carries the new copy. Read-only data that points at it
        /// (an array of pointers) changes with it. But a copy the update cannot re-point is unsafe: one that writable
        /// data points at, one __init code used, one other objects may use (a global).
        /// </summary>
        private void RideReadOnlyData()
        {
            var pending = new Queue<Item>(_changedReadOnly.Keys);
            while (pending.TryDequeue(out var changed))
            {
                var why = $"{Describe(changed)} changed ({_changedReadOnly[changed]})";
                if (!changed.Symbol.IsLocal)
                    Unsafe("read-only-data-changed", changed.Name, $"{why}; it is global, so code in other objects may use the copy the running kernel has, and an update cannot re-point them");
                foreach (var user in changed.ReferencedBy)
                {
                    if (user.IsFunction)
                    {
                        if (KernelCatalogue.IsInitCode(user.Section))
                            Unsafe("read-only-data-changed", changed.Name, $"{why}; __init code {user.Name}() used it at boot, and what it set up with the old copy cannot be re-pointed");
                        else if (_functions.GetValueOrDefault(user.Name) is not { Status: "changed" or "new" })
                            Record(user.Name, "changed", _correlation.Original.GetValueOrDefault(user), user, $"uses {why}");
                    }
                    else if (user.IsReadOnly && !_changedReadOnly.ContainsKey(user))
                    {
                        _changedReadOnly[user] = $"points to {changed.Name}";
                        pending.Enqueue(user);
                    }
                    else if (!user.IsReadOnly)
                        Unsafe("read-only-data-changed", changed.Name, $"{why}; writable {Describe(user)} points at it, and the running kernel's pointer cannot be moved to a new copy");
                }
            }
        }

        /// <summary>
        /// The last pass, which makes a silent miss impossible: every section of both objects is compared item by
        /// item, or set aside by a named rule (not loaded, kernel metadata, strings and constants compared where
        /// they are used), and whatever bytes of it no function, data object or referenced place covers are
        /// compared here. A difference there is unexplained, and an unexplained difference is never "no change".
        /// </summary>
        private void AccountForEveryByte()
        {
            if (original == null || patched == null) return;
            var patchedSections = new Dictionary<string, ElfSection>(StringComparer.Ordinal);
            foreach (var s in patched.File.Sections) patchedSections.TryAdd(s.Name, s);
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var o in original.File.Sections)
            {
                cancel.ThrowIfCancellationRequested();
                if (!seen.Add(o.Name)) continue;
                var p = patchedSections.GetValueOrDefault(o.Name);
                Account(o.Name, Unclaimed(original, o), p == null ? ("", -1) : Unclaimed(patched, p));
            }
            foreach (var p in patched.File.Sections)
                if (seen.Add(p.Name)) Account(p.Name, ("", -1), Unclaimed(patched, p));
        }

        private void Account(string section, (string Content, long At) o, (string Content, long At) p)
        {
            if (o.Content == p.Content) return;
            var at = p.At >= 0 ? p.At : o.At;
            Unsafe("unexplained", section, $"section {section} differs at +0x{at:x} in bytes no function or data object holds, and no rule explains the difference");
        }

        /// <summary>A section's unclaimed bytes, or nothing for a section a named rule sets aside.</summary>
        private static (string, long) Unclaimed(ObjectModel model, ElfSection section)
        {
            // Not loaded into the kernel; kernel metadata; strings and constants (compared where code uses them).
            if (!section.IsAllocated || section.IsNoBits || model.IsIgnored(section) || section.IsStrings
                || section.IsMerge && section.EntrySize > 0)
                return ("", -1);
            return model.UnclaimedBytes(section);
        }

        /// <summary>
        /// What a changed or new function brings along: its .cold pieces, its __pfx_ padding, the .part clones it calls
        /// that changed too, and the read-only data and special statics it gets a fresh copy of.
        /// </summary>
        private CarriedPieces Carried(SymbolChange function)
        {
            var code = new List<string>();
            var data = new List<string>();
            if (patched == null || function.PatchedName == null || FunctionNamed(function.PatchedName) is not { } f)
                return new CarriedPieces(function.Symbol, code, data);
            foreach (var prefix in KernelRules.FunctionPrefixes)
                if (FunctionNamed(prefix + f.Name) is { } padding) code.Add(padding.Name);
            foreach (var to in f.References)
            {
                if (to.IsFunction)
                {
                    bool cold = _changedColdParts.Contains(to.Name) && !SymbolNames.IsColdPart(f.Name);
                    bool changedPart = SymbolNames.IsPartialClone(to.Name) && _functions.GetValueOrDefault(to.Name) is { Status: "changed" or "new" };
                    if ((cold || changedPart) && !code.Contains(to.Name)) code.Add(to.Name);
                }
                else if ((to.IsSpecialStatic || _changedReadOnly.ContainsKey(to) || to.IsReadOnly && !_correlation.Original.ContainsKey(to))
                         && !data.Contains(to.Name))
                    data.Add(to.Name);
            }
            return new CarriedPieces(function.Symbol, code, data);
        }

        private Dictionary<string, Item>? _patchedFunctionsByName;

        private Item? FunctionNamed(string name) =>
            (_patchedFunctionsByName ??= patched!.Functions.DistinctBy(f => f.Name).ToDictionary(f => f.Name)).GetValueOrDefault(name);

        /// <summary>
        /// __pfx_foo (and kCFI's __cfi_foo) is the padding in front of foo: it is part of foo, carried with it, never a
        /// function of its own in the report.
        /// </summary>
        private void FoldPrefixes()
        {
            foreach (var name in _functions.Keys.ToList())
                foreach (var prefix in KernelRules.FunctionPrefixes)
                    if (name.StartsWith(prefix, StringComparison.Ordinal) && name.Length > prefix.Length)
                        _functions.Remove(name);
        }

        /// <summary>A correlated symbol whose type, binding or kind of section changed cannot simply be replaced.</summary>
        private void CheckSymbolAttributes()
        {
            foreach (var (o, p) in _correlation.Patched)
            {
                if (o.Symbol.Type != p.Symbol.Type)
                    Unsafe("symbol-type-changed", p.Name, $"{p.Name} changed from {TypeName(o.Symbol.Type)} to {TypeName(p.Symbol.Type)}");
                if (o.Symbol.Binding != p.Symbol.Binding)
                    Unsafe("symbol-binding-changed", p.Name, $"{p.Name} changed from {BindingName(o.Symbol.Binding)} to {BindingName(p.Symbol.Binding)}; other code links to it by its old binding");
                if (o.Family != p.Family)
                    Unsafe("section-changed", p.Name, $"{Describe(p)} moved from section {o.Family} to {p.Family}; code or data cannot change the section it lives in under a running kernel");
            }
        }

        /// <summary>
        /// A function that used a static local in the original must still use it: its value lives in the running
        /// kernel, and a patched function that drops the reference (or gets a fresh variable) would lose that state.
        /// </summary>
        private void CheckStaticLocals()
        {
            foreach (var f in original?.Functions ?? [])
            {
                if (_correlation.PartnerOf(f) is not { } fp) continue;
                foreach (var local in f.References)
                {
                    // Read-only locals hold no state; special statics are the update's own fresh copies.
                    if (!local.IsStaticLocal || local.IsReadOnly || local.IsSpecialStatic) continue;
                    if (_correlation.PartnerOf(local) is { } partner && Reaches(fp, partner)) continue;
                    Unsafe("static-local-reference-removed", fp.Name, $"{fp.Name}() no longer refers to its static variable '{local.BaseName}' ({local.Name}); the state the running kernel keeps in it would be left behind");
                }
            }
        }

        /// <summary>
        /// Whether <paramref name="function"/> uses <paramref name="local"/> itself or through a function it calls (a
        /// static local whose use moved into a helper follows it), up to a few calls deep.
        /// </summary>
        private static bool Reaches(Item function, Item local)
        {
            var seen = new HashSet<Item> { function };
            var frontier = new List<Item> { function };
            for (int depth = 0; depth < 4 && frontier.Count > 0; depth++)
            {
                var next = new List<Item>();
                foreach (var f in frontier)
                    foreach (var to in f.References)
                    {
                        if (to == local) return true;
                        if (to.IsFunction && seen.Add(to)) next.Add(to);
                    }
                frontier = next;
            }
            return false;
        }

        /// <summary>
        /// A change in a piece gcc split off a function (foo.cold, foo.part.0) is a change of the function: mark the
        /// parent changed. ".cold" pieces are not entry points, so they are reported only through their parent.
        /// </summary>
        private void FoldSplitParts()
        {
            foreach (var child in _functions.Values.ToList())
            {
                if (!SymbolNames.IsColdPart(child.Symbol) && !SymbolNames.IsPartialClone(child.Symbol)) continue;
                foreach (var parent in Parents(child))
                {
                    var existing = _functions.GetValueOrDefault(parent.Name);
                    if (existing is { Status: "changed" or "new" or "removed" }) continue;
                    var o = _correlation.Original.GetValueOrDefault(parent);
                    if (child.Status == "line-only")
                    {
                        if (existing == null) Record(parent.Name, "line-only", o, parent, $"only line numbers changed, in its split-off part {child.Symbol} ({child.Reason})");
                        continue;
                    }
                    Record(parent.Name, "changed", o, parent, $"its split-off part {child.Symbol} {(child.Status == "changed" ? "changed" : $"is {child.Status}")}");
                }
                if (!SymbolNames.IsColdPart(child.Symbol)) continue;
                // An unchanged .cold piece stays where it is in the running kernel; a changed or new one comes along.
                if (child.Status is "changed" or "new") _changedColdParts.Add(child.Symbol);
                _functions.Remove(child.Symbol);
            }
        }

        /// <summary>The functions (in the patched object where they exist) that a split-off piece belongs to.</summary>
        private IEnumerable<Item> Parents(SymbolChange child)
        {
            var parentBase = SymbolNames.ParentName(child.Symbol);
            var model = child.PatchedName != null ? patched : original;
            var item = model?.Functions.FirstOrDefault(f => f.Name == (child.PatchedName ?? child.OriginalName));
            if (item == null) yield break;
            foreach (var f in model!.Functions)
            {
                if (f == item || !f.References.Contains(item) || SymbolNames.BaseName(f.Name) != parentBase && !SymbolNames.BaseName(f.Name).StartsWith(parentBase + ".", StringComparison.Ordinal)) continue;
                var inPatched = model == patched ? f : _correlation.PartnerOf(f);
                if (inPatched != null) yield return inPatched;
            }
        }

        private void Record(string name, string status, Item? o, Item? p, string? reason) =>
            _functions[name] = new SymbolChange(name, "function", status, o?.Name, p?.Name, reason);

        private void Unsafe(string kind, string symbol, string reason) => _unsafe.Add(new UnsafeFinding(kind, symbol, reason));

        private static string Describe(Item item) => item.IsFunction
            ? $"function {item.Name}()"
            : item.IsStaticLocal ? $"static variable '{item.BaseName}' ({item.Name})" : $"data object '{item.Name}'";

        private static string TypeName(SymbolType t) => t switch
        {
            SymbolType.Func => "a function",
            SymbolType.GnuIFunc => "an indirect function",
            SymbolType.Object => "a data object",
            SymbolType.Tls => "a thread-local object",
            _ => t.ToString(),
        };

        private static string BindingName(SymbolBinding b) => b switch
        {
            SymbolBinding.Local => "local (static)",
            SymbolBinding.Global => "global",
            SymbolBinding.Weak => "weak",
            _ => b.ToString(),
        };
    }
}
