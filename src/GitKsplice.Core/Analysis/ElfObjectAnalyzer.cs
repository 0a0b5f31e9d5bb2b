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
    public ObjectComparison Compare(string? originalPath, string? patchedPath)
    {
        if (originalPath == null && patchedPath == null)
            throw new ObjectFormatException("no object to compare: both the original and the patched object are missing");
        var (original, patched) = Both(() => originalPath == null ? null : Load(originalPath),
            () => patchedPath == null ? null : Load(patchedPath));
        return Compare(original, patched);
    }

    /// <summary>Compares objects already read; either may be null (an object the change added or removed).</summary>
    public ObjectComparison Compare(ElfFile? original, ElfFile? patched)
    {
        if (original != null && patched != null && original.Description != patched.Description)
            throw new ObjectFormatException($"{original.DisplayName} is {original.Description} but {patched.DisplayName} is {patched.Description}; both must be built for the same machine");
        var (o, p) = Both(() => Model(original), () => Model(patched));
        try
        {
            return new Classification(o, p).Run();
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

    private static ObjectModel? Model(ElfFile? file)
    {
        try { return file == null ? null : new ObjectModel(file); }
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
    private sealed class Classification(ObjectModel? original, ObjectModel? patched)
    {
        private readonly Correlation _correlation = Correlation.Build(original, patched);
        private readonly Dictionary<string, SymbolChange> _functions = new(StringComparer.Ordinal);
        private readonly List<SymbolChange> _data = [];
        private readonly List<UnsafeFinding> _unsafe = [];

        public ObjectComparison Run()
        {
            var comparer = original != null && patched != null ? new ItemComparer(original, patched, _correlation) : null;
            CompareFunctions(comparer);
            CompareData(comparer);
            CheckSymbolAttributes();
            CheckStaticLocals();
            FoldSplitParts();

            var functions = _functions.Values.OrderBy(c => c.Symbol, StringComparer.Ordinal).ToList();
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
            foreach (var f in original?.Functions ?? [])
            {
                if (_correlation.PartnerOf(f) is not { } p)
                {
                    Record(f.Name, "removed", f, null, null);
                    continue;
                }
                if (comparer!.Compare(f, p) is not { } difference) continue;
                if (difference.IsLineOnly) Record(p.Name, "line-only", f, p, difference.Reason);
                else if (KernelRules.IsInitCode(p.Section))
                    Unsafe("init-changed", p.Name, $"{p.Name}() is __init code, which ran once at boot and is gone; changing it cannot affect a running kernel ({difference.Reason})");
                else Record(p.Name, "changed", f, p, difference.Reason);
            }
            foreach (var p in patched?.Functions ?? [])
                if (!_correlation.Original.ContainsKey(p))
                    Record(p.Name, "new", null, p, null);
        }

        private void CompareData(ItemComparer? comparer)
        {
            foreach (var d in original?.Data ?? [])
            {
                if (_correlation.PartnerOf(d) is not { } p)
                {
                    _data.Add(new SymbolChange(d.Name, "data", "removed", d.Name, null, null));
                    continue;
                }
                if (d.Section.IsStrings || p.Section.IsStrings || d.Family != p.Family) continue; // strings: by content; moves: below
                if (d.Size != p.Size)
                {
                    Unsafe("data-size-changed", p.Name, $"the size of {Describe(p)} changed from {d.Size} to {p.Size} bytes; the running kernel keeps the old object, and code built for the new size would read or write past it");
                    continue;
                }
                if (d.Section.IsNoBits || p.Section.IsNoBits) continue; // zero-initialised: nothing but the size to compare
                if (comparer!.Compare(d, p) is { } difference)
                    Unsafe("data-changed", p.Name, $"the initial contents of {Describe(p)} changed ({difference.Reason}); a hot update cannot re-initialise data that already exists in the running kernel");
            }
            foreach (var p in patched?.Data ?? [])
                if (!_correlation.Original.ContainsKey(p))
                    _data.Add(new SymbolChange(p.Name, "data", "new", null, p.Name, null));
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
                    if (!local.IsStaticLocal) continue;
                    if (_correlation.PartnerOf(local) is { } partner && fp.References.Contains(partner)) continue;
                    Unsafe("static-local-reference-removed", fp.Name, $"{fp.Name}() no longer refers to its static variable '{local.BaseName}' ({local.Name}); the state the running kernel keeps in it would be left behind");
                }
            }
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
                    Record(parent.Name, "changed", o, parent, $"its split-off part {child.Symbol} {(child.Status == "line-only" ? "changed line numbers" : child.Status == "changed" ? "changed" : $"is {child.Status}")}");
                }
                if (SymbolNames.IsColdPart(child.Symbol)) _functions.Remove(child.Symbol);
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
