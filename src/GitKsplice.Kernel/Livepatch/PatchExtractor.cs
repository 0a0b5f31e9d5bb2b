using GitKsplice.Analysis;
using GitKsplice.Elf;

namespace GitKsplice.Livepatch;

/// <summary>One changed object of the update, as the livepatch module needs it.</summary>
/// <param name="Functions">The changed and new functions the analysis found (names in the post object).</param>
/// <param name="KernelObject">"vmlinux" or the loadable module the object is linked into.</param>
public sealed record ChangedObject(string Path, string? PrePath, string PostPath, IReadOnlyList<string> Functions, string KernelObject);

/// <summary>A function the module replaces: its name and position in the running kernel, and its new code's symbol.</summary>
public sealed record ReplacedFunction(string KernelObject, string OldName, int Sympos, string NewSymbol);

/// <summary>
/// A reference only the livepatch core can resolve: the place in a carried section (by its marker symbol),
/// written into the finished module as an entry of .klp.rela.&lt;KernelObject&gt;.&lt;section&gt; (applied when
/// that object is there: vmlinux at once, a module when it loads) against
/// .klp.sym.&lt;SymbolObject&gt;.&lt;name&gt;,&lt;sympos&gt; (where the symbol lives: the same object, or a module
/// the patched module depends on).
/// </summary>
public sealed record LivepatchSite(string Marker, ulong Offset, uint Type, long Addend, string KernelObject,
    string Name, int Sympos, SymbolType SymbolType, string SymbolObject)
{
    public string SymbolName => $".klp.sym.{SymbolObject}.{Name},{Sympos}";
}

/// <summary>What cannot go into a livepatch module, one line per function with what to do instead.</summary>
public sealed record LivepatchRefusal(string Object, string Symbol, string Kind, string Reason);

/// <summary>
/// Copies the post code of the update's changed and new functions (with their .cold pieces, the read-only data
/// and strings they use, their new data and the special-section entries that describe them) out of the
/// sectioned post objects into one relocatable object, and sorts every reference out: inside the update →
/// a relocation to the copy; a symbol vmlinux exports → an undefined symbol the module loader resolves;
/// anything else → a <see cref="LivepatchSite"/>, left as zeros for the post-link rewrite. An object of a
/// loadable module looks its symbols up in that module; what it uses from vmlinux or from the modules it
/// depends on (<paramref name="moduleExports"/>: symbol → exporting module) goes the same way. Pure: reads
/// objects, writes nothing.
/// </summary>
public sealed class PatchExtractor(KernelSymbols kernel, IReadOnlySet<string> vmlinuxExports, IReadOnlyDictionary<string, string>? moduleExports = null)
{
    public const string MarkerPrefix = "__ksplice_s";
    public const string NewFunctionPrefix = "__ksplice_fn_";

    public ElfWriter Output { get; } = new(Machine.X86_64);
    public List<LivepatchSite> Sites { get; } = [];
    public List<ReplacedFunction> Functions { get; } = [];
    public List<LivepatchRefusal> Refusals { get; } = [];
    private readonly Dictionary<string, ElfWriter.Symbol> _undefined = new(StringComparer.Ordinal);
    private readonly Dictionary<ElfWriter.Section, ElfWriter.Symbol> _markers = [];

    public void Add(ChangedObject change)
    {
        var post = ElfFile.Open(change.PostPath, change.Path);
        if (post.Machine != Machine.X86_64 || !post.Is64)
        {
            Refusals.Add(new(change.Path, "", "livepatch-machine", $"livepatch modules are built for x86-64 only; {change.Path} is {post.Description}"));
            return;
        }
        var pre = change.PrePath == null ? null : ElfFile.Open(change.PrePath, change.Path + " (pre)");
        new ObjectExtraction(this, change, pre, post).Run();
    }

    /// <summary>One post object: which of its sections the update carries, and where each reference goes.</summary>
    private sealed class ObjectExtraction(PatchExtractor owner, ChangedObject change, ElfFile? pre, ElfFile post)
    {
        private readonly Dictionary<int, ElfWriter.Section> _copies = [];
        private readonly Queue<ElfSection> _pending = new();
        private readonly Dictionary<string, string> _preNames = [];
        private readonly HashSet<string> _newData = new(StringComparer.Ordinal);
        private string? _sourceFile;
        private List<string>? _neighbours;

        public void Run()
        {
            _sourceFile = post.Symbols.FirstOrDefault(s => s.Type == SymbolType.File)?.Name;
            Correlate();
            foreach (var name in change.Functions)
            {
                var symbol = post.Symbols.FirstOrDefault(s => s.Name == name && s.Type == SymbolType.Func && s.Section != null);
                if (symbol == null) continue; // removed functions have nothing to carry
                if (!CheckReplaceable(name, symbol)) continue;
                Carry(symbol.Section!);
            }
            foreach (var name in _newData)
                if (post.Symbols.FirstOrDefault(s => s.Name == name && s.Section != null) is { } data) Carry(data.Section!);
            while (true)
            {
                while (_pending.TryDequeue(out var section)) CopyRelocations(section);
                if (!CarrySpecialEntries()) break;
            }
            foreach (var name in change.Functions)
            {
                var symbol = post.Symbols.FirstOrDefault(s => s.Name == name && s.Type == SymbolType.Func && s.Section != null);
                if (symbol == null || !_copies.ContainsKey(symbol.Section!.Index) || IsNewFunction(symbol)) continue;
                var oldName = _preNames.GetValueOrDefault(name, name);
                var sympos = Position(oldName, symbol.IsLocal);
                if (sympos == null) continue;
                var alias = $"{NewFunctionPrefix}{owner.Functions.Count}";
                owner.Output.AddSymbol(alias, SymbolType.Func, SymbolBinding.Global, _copies[symbol.Section!.Index], symbol.Value, symbol.Size);
                owner.Functions.Add(new ReplacedFunction(change.KernelObject, oldName, sympos.Value, alias));
            }
        }

        private bool IsNewFunction(ElfSymbol symbol) => pre != null && !_preNames.ContainsKey(symbol.Name)
            && !pre.Symbols.Any(s => s.Name == symbol.Name && s.Type == SymbolType.Func && s.Section != null);

        /// <summary>A changed function the livepatch core can redirect: it has an ftrace entry, it is not boot code, the kernel has it.</summary>
        private bool CheckReplaceable(string name, ElfSymbol symbol)
        {
            var section = symbol.Section!;
            if (KernelCatalogue.IsInitCode(section))
                return Refuse(name, "livepatch-init", $"{name}() is __init code, freed after boot; there is nothing to patch (drop the change or make it in code that runs later)");
            var preSymbol = pre?.Symbols.FirstOrDefault(s => s.Name == _preNames.GetValueOrDefault(name, name) && s.Type == SymbolType.Func && s.Section != null);
            if (preSymbol == null) return true; // a new function: called by carried code, not redirected
            if (!HasFtraceEntry(pre!, preSymbol))
                return Refuse(name, "livepatch-no-ftrace", $"{name}() has no ftrace entry in the running kernel (notrace, or an inline function left out of line), so livepatch cannot redirect it; patch its callers instead");
            if (!owner.Kernel.Contains(change.KernelObject, preSymbol.Name))
                return Refuse(name, "livepatch-not-in-kernel", change.KernelObject == KernelSymbols.Vmlinux
                    ? $"{name}() is not in the running kernel's symbols (inlined into its callers, or not linked); change its callers instead"
                    : $"{name}() is not in the symbols of module {change.KernelObject} (inlined into its callers, or init code); change its callers instead");
            return true;
        }

        /// <summary>x86-64 with -mfentry: the first instruction (after an endbr64) is a call to __fentry__.</summary>
        private static bool HasFtraceEntry(ElfFile file, ElfSymbol function)
        {
            foreach (var r in file.RelocationsFor(function.Section!))
            {
                if (r.Offset < function.Value + 1) continue;
                if (r.Offset > function.Value + 5) break;
                var target = file.SymbolAt(r.SymbolIndex);
                if (target.Name is "__fentry__" or "mcount" or "__mcount") return true;
            }
            return false;
        }

        private bool Refuse(string symbol, string kind, string reason)
        {
            owner.Refusals.Add(new LivepatchRefusal(change.Path, symbol, kind, reason));
            return false;
        }

        private int? Position(string name, bool isLocal) => Position(change.KernelObject, name, isLocal);

        private int? Position(string kernelObject, string name, bool isLocal)
        {
            _neighbours ??= post.Symbols.Where(s => s.IsLocal && s.Type is SymbolType.Func or SymbolType.Object && s.Name.Length > 0)
                .Select(s => _preNames.GetValueOrDefault(s.Name, s.Name)).ToList();
            try
            {
                var position = owner.Kernel.Position(kernelObject, name, isLocal, _sourceFile, _neighbours);
                if (position == null)
                    Refuse(name, "livepatch-unreachable", kernelObject == KernelSymbols.Vmlinux
                        ? $"{name} is not in the running kernel's symbols, so the livepatch core cannot reach it; change the code that uses it so the update carries what it needs"
                        : $"{name} is not in the symbols of module {kernelObject}, so the livepatch core cannot reach it; change the code that uses it so the update carries what it needs");
                return position;
            }
            catch (Reporting.UserError e)
            {
                Refuse(name, "livepatch-unreachable", e.Message);
                return null;
            }
        }

        private ElfWriter.Section Carry(ElfSection section)
        {
            if (_copies.TryGetValue(section.Index, out var known)) return known;
            // Merged strings are copied as plain data: nothing in the module's link may merge or move them.
            var flags = section.Flags & ~(SectionFlags.Merge | SectionFlags.Strings | SectionFlags.Group);
            var copy = section.IsNoBits
                ? owner.Output.AddNoBits(section.Name, flags, section.Size, Math.Max(section.AddressAlign, 1))
                : owner.Output.AddSection(section.Name, section.Type, flags, section.Contents.ToArray(), Math.Max(section.AddressAlign, 1),
                    section.IsMerge ? 0 : section.EntrySize);
            _copies[section.Index] = copy;
            owner.Marker(copy);
            foreach (var s in post.Symbols)
                if (s.Section == section && s.Name.Length > 0 && s.Type is SymbolType.Func or SymbolType.Object)
                    owner.Output.AddSymbol(s.Name, s.Type, SymbolBinding.Local, copy, s.Value, s.Size);
            _pending.Enqueue(section);
            return copy;
        }

        /// <summary>Every relocation of a carried section: to a copy, to an exported symbol, or a livepatch site.</summary>
        private void CopyRelocations(ElfSection section)
        {
            var copy = _copies[section.Index];
            foreach (var r in post.RelocationsFor(section)) Relocate(section, copy, r, r.Offset, r.Offset);
        }

        /// <summary>Places relocation <paramref name="r"/> of <paramref name="from"/> at <paramref name="at"/> of <paramref name="copy"/>.</summary>
        private void Relocate(ElfSection from, ElfWriter.Section copy, ElfRelocation r, ulong originalOffset, ulong at)
        {
            var symbol = post.SymbolAt(r.SymbolIndex);
            var target = symbol.Section;
            if (target == null)
            {
                Reference(copy, at, r.Type, symbol, r.Addend);
                return;
            }
            // A place inside this object: carried whole when it is code of the update, data it owns or read-only
            // data; otherwise the function or object it falls in is referenced by name.
            var item = symbol.Type is SymbolType.Func or SymbolType.Object ? symbol
                : Covering(target, (long)symbol.Value + r.Addend + RelocationTypes.ReferentBias(post.Machine, r.Type, from.Contents.Span, originalOffset));
            if (item == null || ShouldCarry(item) || IsReadOnly(target))
            {
                Carry(target);
                AddRelocation(copy, at, r.Type, owner.Marker(_copies[target.Index]), (long)symbol.Value + r.Addend);
                return;
            }
            Reference(copy, at, r.Type, item, (long)symbol.Value + r.Addend - (long)item.Value);
        }

        /// <summary>
        /// The first key of the kept jump-label or static-call entries that lives in a loadable module, if any.
        /// Keys in vmlinux are fine: its livepatch relocations are written as the update loads, before the
        /// kernel reads the update's __jump_table and .static_call_sites; a module's only later.
        /// </summary>
        private (string Name, string Module)? KeyInAModule(KernelSection table, ElfRelocation[] relocations, List<int> kept, int entrySize)
        {
            if (table.KeyOffset < 0) return null;
            foreach (var entry in kept)
            {
                var r = relocations.FirstOrDefault(r => r.Offset == (ulong)(entry * entrySize + table.KeyOffset));
                if (r == default) continue;
                var symbol = post.SymbolAt(r.SymbolIndex);
                // A key the update carries (a dynamic-debug descriptor's) is its own: an ordinary relocation.
                if (symbol.Section != null && _copies.ContainsKey(symbol.Section.Index)) continue;
                var name = symbol.Section != null && symbol.Type is not (SymbolType.Object or SymbolType.Func)
                    ? Covering(symbol.Section, (long)symbol.Value + r.Addend)?.Name ?? symbol.Name : symbol.Name;
                var kernelName = _preNames.GetValueOrDefault(name, name);
                var home = HomeOf(symbol, kernelName);
                if (home == KernelSymbols.Vmlinux && change.KernelObject != KernelSymbols.Vmlinux && owner.ModuleExports.TryGetValue(kernelName, out var exporter))
                    home = exporter;
                if (home != KernelSymbols.Vmlinux) return (name, home);
            }
            return null;
        }

        /// <summary>
        /// Where a symbol the object refers to lives: this object's kernel object when defined here or, for a
        /// module, in another object of it; else vmlinux (or, for a module, a module it depends on).
        /// </summary>
        private string HomeOf(ElfSymbol symbol, string name) =>
            symbol.Section != null || change.KernelObject != KernelSymbols.Vmlinux && owner.Kernel.Contains(change.KernelObject, name)
                ? change.KernelObject : KernelSymbols.Vmlinux;

        /// <summary>
        /// A reference to something the running kernel has: by name when vmlinux exports it (and the patched
        /// module does not define it itself), else a livepatch site against the object it lives in.
        /// </summary>
        private void Reference(ElfWriter.Section copy, ulong at, uint type, ElfSymbol symbol, long addend)
        {
            var name = _preNames.GetValueOrDefault(symbol.Name, symbol.Name);
            bool defined = symbol.Section != null;
            bool local = defined && symbol.IsLocal;
            bool inModule = change.KernelObject != KernelSymbols.Vmlinux;
            var home = HomeOf(symbol, name);
            if (!local && home == KernelSymbols.Vmlinux && owner.VmlinuxExports.Contains(name))
            {
                AddRelocation(copy, at, type, owner.Undefined(name), addend);
                return;
            }
            if (!defined && inModule && home == KernelSymbols.Vmlinux && owner.ModuleExports.TryGetValue(name, out var exporter))
            {
                // Resolved when the patched module loads: the exporter must be loaded before it, which only a
                // module the pre object already used is sure to be.
                if (pre == null || !pre.Symbols.Any(s => s.Name == name && s.SectionIndex == 0))
                {
                    Refuse(name, "livepatch-module-dependency", $"the update's code in module {change.KernelObject} uses {name}, which module {exporter} exports and {change.KernelObject} did not use before, so {exporter} may not be loaded; keep the change within what the module already uses");
                    return;
                }
                home = exporter;
            }
            // An export is the only global of its name in its module: 0 unless that module's .ko says otherwise.
            var sympos = home != change.KernelObject && home != KernelSymbols.Vmlinux && owner.Kernel.ModuleProblem(home) != null
                ? 0 : Position(home, name, local);
            if (sympos == null) return;
            // A module's section may not refer to vmlinux: vmlinux symbols get vmlinux's section, resolved when the update loads.
            var appliedWith = home == KernelSymbols.Vmlinux ? KernelSymbols.Vmlinux : change.KernelObject;
            owner.Sites.Add(new LivepatchSite(owner.Marker(copy).Name, at, type, addend, appliedWith,
                name, sympos.Value, symbol.Type is SymbolType.Func or SymbolType.Object ? symbol.Type : SymbolType.NoType, home));
            int width = type is 1 or 24 ? 8 : 4; // R_X86_64_64 and PC64 fill eight bytes, the other kinds four
            if (copy.Contents.Length >= (int)at + width) copy.Contents.AsSpan((int)at, width).Clear();
        }

        private void AddRelocation(ElfWriter.Section copy, ulong at, uint type, ElfWriter.Symbol symbol, long addend) =>
            owner.Output.RelocationsOf(copy).Relocations.Add(new ElfWriter.Relocation(at, type, symbol, addend));

        /// <summary>
        /// What the update brings its own copy of: the changed and new functions and their .cold pieces, new data,
        /// and the static variables that are never shared with the running kernel (__warned, __key, …).
        /// </summary>
        private bool ShouldCarry(ElfSymbol symbol)
        {
            if (symbol.Section == null) return false;
            if (symbol.Type == SymbolType.Func)
                return change.Functions.Contains(symbol.Name) || IsNewFunction(symbol)
                    || SymbolNames.IsColdPart(symbol.Name) && change.Functions.Contains(SymbolNames.ParentName(symbol.Name))
                    || SymbolNames.IsColdPart(symbol.Name) && !KernelHasName(symbol.Name);
            if (symbol.Type == SymbolType.Object)
                return _newData.Contains(symbol.Name) || IsReadOnly(symbol.Section)
                    || KernelCatalogue.IsSpecialStatic(SymbolNames.BaseName(symbol.Name), ObjectModel.Family(symbol.Section.Name, symbol.Name));
            return false;
        }

        private bool KernelHasName(string name) => owner.Kernel.Contains(change.KernelObject, _preNames.GetValueOrDefault(name, name));

        private static bool IsReadOnly(ElfSection section) => (section.Flags & (SectionFlags.Write | SectionFlags.ExecInstr | SectionFlags.Alloc)) == SectionFlags.Alloc;

        private ElfSymbol? Covering(ElfSection section, long place)
        {
            ElfSymbol? best = null;
            foreach (var s in post.Symbols)
            {
                if (s.Section != section || s.Type is not (SymbolType.Func or SymbolType.Object) || s.Name.Length == 0) continue;
                if ((long)s.Value <= place && place < (long)(s.Value + Math.Max(s.Size, 1))) best ??= s;
            }
            return best;
        }

        /// <summary>
        /// Copies the entries of the kernel's tables (__mcount_loc, __bug_table, ORC, …) that describe carried
        /// code, with their relocations; true when that carried something new.
        /// </summary>
        private bool CarrySpecialEntries()
        {
            foreach (var kind in KernelCatalogue.CodeTables)
            {
                var name = kind.Name;
                var table = post.Sections.FirstOrDefault(s => s.Name == name);
                if (table == null || _copies.ContainsKey(table.Index)) continue;
                var relocations = post.RelocationsFor(table).ToArray();
                int entrySize = kind.EntrySizeOf(relocations);
                var kept = new List<int>();
                for (int entry = 0; entry * entrySize < table.Contents.Length; entry++)
                {
                    var first = relocations.FirstOrDefault(r => r.Offset == (ulong)(entry * entrySize));
                    if (first == default) continue;
                    var symbol = post.SymbolAt(first.SymbolIndex);
                    if (symbol.Section != null && _copies.ContainsKey(symbol.Section.Index) && symbol.Section.IsExecutable) kept.Add(entry);
                }
                if (kept.Count == 0) continue;
                if (KeyInAModule(kind, relocations, kept, entrySize) is { } key)
                {
                    Refuse(key.Name, "livepatch-static-key", $"carried code uses {(name == "__jump_table" ? "a jump label" : "a static call")} whose key {key.Name} lives in module {key.Module}: the kernel reads {name} before livepatch writes a module's relocations; test the key with static_key_enabled() instead");
                    continue;
                }
                var copy = owner.Output.AddSection(name, table.Type, table.Flags & ~SectionFlags.Group, new byte[kept.Count * entrySize],
                    Math.Max(table.AddressAlign, 1), table.EntrySize);
                for (int i = 0; i < kept.Count; i++)
                {
                    ulong from = (ulong)(kept[i] * entrySize), to = (ulong)(i * entrySize);
                    table.Contents.Span.Slice((int)from, entrySize).CopyTo(copy.Contents.AsSpan((int)to));
                    foreach (var r in relocations.Where(r => r.Offset >= from && r.Offset < from + (ulong)entrySize))
                        Relocate(table, copy, r, r.Offset, to + (r.Offset - from));
                }
                if (kind.Companion != null && post.Sections.FirstOrDefault(s => s.Name == kind.Companion) is { } companion)
                {
                    int size = kind.CompanionEntrySize;
                    if (size == 0) Carry(companion);
                    else
                    {
                        var data = new byte[kept.Count * size];
                        for (int i = 0; i < kept.Count; i++) companion.Contents.Span.Slice(kept[i] * size, size).CopyTo(data.AsSpan(i * size));
                        owner.Output.AddSection(companion.Name, companion.Type, companion.Flags & ~SectionFlags.Group, data, Math.Max(companion.AddressAlign, 1), companion.EntrySize);
                    }
                }
                _copies[table.Index] = copy; // done: never copied twice
            }
            return _pending.Count > 0;
        }

        /// <summary>
        /// The names post items have in the pre object (the running kernel's) where they differ, and the data
        /// objects the pre object does not have (new data, which the update carries).
        /// </summary>
        private void Correlate()
        {
            var p = new ObjectModel(post);
            var o = pre == null ? null : new ObjectModel(pre);
            var correlation = Correlation.Build(o, p);
            foreach (var (patched, original) in correlation.Original)
                if (patched.Name != original.Name) _preNames[patched.Name] = original.Name;
            foreach (var d in p.Data)
                if (!correlation.Original.ContainsKey(d)) _newData.Add(d.Name);
        }
    }

    private IReadOnlySet<string> VmlinuxExports => vmlinuxExports;
    private IReadOnlyDictionary<string, string> ModuleExports { get; } = moduleExports ?? new Dictionary<string, string>();
    private KernelSymbols Kernel => kernel;

    /// <summary>
    /// The local symbol at the start of a carried section: the module's link keeps it, so the post-link
    /// rewrite finds where the section went (sections of one name are concatenated) and places its sites.
    /// </summary>
    private ElfWriter.Symbol Marker(ElfWriter.Section copy)
    {
        if (!_markers.TryGetValue(copy, out var marker))
            _markers[copy] = marker = Output.AddSymbol($"{MarkerPrefix}{_markers.Count}", SymbolType.NoType, SymbolBinding.Local, copy);
        return marker;
    }

    private ElfWriter.Symbol Undefined(string name)
    {
        if (!_undefined.TryGetValue(name, out var symbol))
            _undefined[name] = symbol = Output.AddSymbol(name, SymbolType.NoType, SymbolBinding.Global, null);
        return symbol;
    }

    /// <summary>The vmlinux exports listed in a Module.symvers or vmlinux.symvers ("crc\tname\tvmlinux\tEXPORT_SYMBOL\tns").</summary>
    public static HashSet<string> ReadExports(string symvers)
    {
        var exports = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in File.ReadLines(symvers))
        {
            var fields = line.Split('\t');
            if (fields.Length >= 3 && fields[2] == KernelSymbols.Vmlinux) exports.Add(fields[1]);
        }
        return exports;
    }

    /// <summary>
    /// The modules' exports a Module.symvers lists ("crc\tname\tdrivers/foo/bar-baz\tEXPORT_SYMBOL\tns"): symbol →
    /// the exporting module's name as the kernel knows it (bar_baz).
    /// </summary>
    public static Dictionary<string, string> ReadModuleExports(string symvers)
    {
        var exports = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in File.ReadLines(symvers))
        {
            var fields = line.Split('\t');
            if (fields.Length >= 3 && fields[2] != KernelSymbols.Vmlinux && fields[2].Length > 0)
                exports[fields[1]] = Path.GetFileName(fields[2]).Replace('-', '_');
        }
        return exports;
    }

}
