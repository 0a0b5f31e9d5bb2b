using System.Text;
using GitKsplice.Elf;

namespace GitKsplice.Livepatch;

/// <summary>
/// The post-link rewrite of a finished livepatch .ko: linkers keep neither SHN_LIVEPATCH symbols nor a second
/// relocation section for one section, so the references only the livepatch core resolves are added here.
/// Each site, carried through the link as zeros at a known offset from a marker symbol, becomes an entry of
/// .klp.rela.&lt;object&gt;.&lt;section&gt; (SHT_RELA, SHF_ALLOC | SHF_INFO_LINK | SHF_RELA_LIVEPATCH) against a
/// symbol .klp.sym.&lt;object&gt;.&lt;name&gt;,&lt;sympos&gt; (st_shndx SHN_LIVEPATCH), as the kernel's
/// Documentation/livepatch/module-elf-format.rst describes. The markers go; vermagic is set to the running
/// kernel's release when the build tree's differs.
/// </summary>
public static class ModuleRewrite
{
    public static byte[] Rewrite(ElfFile module, IReadOnlyList<LivepatchSite> sites, string? vermagicRelease)
    {
        var w = ElfWriter.From(module);
        var markers = w.Symbols.Where(s => s.Name.StartsWith(PatchExtractor.MarkerPrefix, StringComparison.Ordinal))
            .ToDictionary(s => s.Name, StringComparer.Ordinal);
        var klpSymbols = new Dictionary<string, ElfWriter.Symbol>(StringComparer.Ordinal);
        var klpSections = new Dictionary<(string, ElfWriter.Section), ElfWriter.Section>();
        foreach (var site in sites)
        {
            if (!markers.TryGetValue(site.Marker, out var marker) || marker.Section is not { } section)
                throw new Reporting.UserError($"{module.DisplayName}: the module link lost marker {site.Marker}; cannot place the reference to {site.Name}");
            ulong at = marker.Value + site.Offset;
            int width = site.Type is 1 or 24 ? 8 : 4;
            if (at + (ulong)width > (ulong)section.Contents.Length || section.Contents.AsSpan((int)at, width).ContainsAnyExcept((byte)0))
                throw new Reporting.UserError($"{module.DisplayName}: the place of the reference to {site.Name} in {section.Name}+{at:x} does not hold zeros; the kernel would refuse it");
            if (w.Sections.Any(s => s.Kind == ElfWriter.Kind.Relocations && s.Info == section && s.Relocations.Any(r => r.Offset == at)))
                throw new Reporting.UserError($"{module.DisplayName}: {section.Name}+{at:x} is relocated twice (by the link and for {site.Name})");
            if (!klpSymbols.TryGetValue(site.SymbolName, out var symbol))
            {
                symbol = w.AddSymbol(site.SymbolName, site.SymbolType, SymbolBinding.Global, null);
                symbol.SpecialIndex = ElfWriter.LivepatchSectionIndex;
                klpSymbols[site.SymbolName] = symbol;
            }
            if (!klpSections.TryGetValue((site.KernelObject, section), out var rela))
            {
                rela = new ElfWriter.Section($".klp.rela.{site.KernelObject}.{section.Name}", SectionType.Rela,
                    SectionFlags.Alloc | SectionFlags.InfoLink | (SectionFlags)ElfWriter.RelaLivepatchFlag)
                { Kind = ElfWriter.Kind.Relocations, Info = section, AddressAlign = 8 };
                w.Sections.Add(rela);
                klpSections[(site.KernelObject, section)] = rela;
            }
            rela.Relocations.Add(new ElfWriter.Relocation(at, site.Type, symbol, site.Addend));
        }
        RemoveMarkers(w, markers);
        if (vermagicRelease != null) SetVermagicRelease(w, module.DisplayName, vermagicRelease);
        return w.ToBytes();
    }

    /// <summary>The markers have done their work: relocations that ld left on them go to their section's symbol.</summary>
    private static void RemoveMarkers(ElfWriter w, Dictionary<string, ElfWriter.Symbol> markers)
    {
        var sectionSymbols = new Dictionary<ElfWriter.Section, ElfWriter.Symbol>(ReferenceEqualityComparer.Instance);
        ElfWriter.Symbol SectionSymbol(ElfWriter.Section section)
        {
            if (sectionSymbols.TryGetValue(section, out var known)) return known;
            var symbol = w.Symbols.FirstOrDefault(s => s.Type == SymbolType.Section && s.Section == section)
                ?? w.AddSymbol("", SymbolType.Section, SymbolBinding.Local, section);
            return sectionSymbols[section] = symbol;
        }
        foreach (var rela in w.Sections.Where(s => s.Kind == ElfWriter.Kind.Relocations))
            for (int i = 0; i < rela.Relocations.Count; i++)
                if (rela.Relocations[i] is { Symbol: var m } r && markers.ContainsKey(m.Name) && m.Section != null)
                    rela.Relocations[i] = r with { Symbol = SectionSymbol(m.Section), Addend = r.Addend + (long)m.Value };
        var removed = markers.Values.ToHashSet(ReferenceEqualityComparer.Instance);
        w.Symbols.RemoveAll(removed.Contains);
    }

    /// <summary>
    /// "vermagic=6.1.0+ mod_unload " → "vermagic=&lt;release&gt; mod_unload ": the release is the running kernel's;
    /// the flags after it come from the configuration, which is the running kernel's too. Symbols after it in
    /// .modinfo move with the text.
    /// </summary>
    private static void SetVermagicRelease(ElfWriter w, string name, string release)
    {
        var modinfo = w.Sections.FirstOrDefault(s => s.Name == ".modinfo")
            ?? throw new Reporting.UserError($"{name}: has no .modinfo section; not a kernel module");
        var text = modinfo.Contents;
        var key = "vermagic="u8;
        int at = text.AsSpan().IndexOf(key);
        if (at < 0) throw new Reporting.UserError($"{name}: .modinfo has no vermagic");
        int start = at + key.Length;
        int end = Array.IndexOf(text, (byte)0, start);
        var old = Encoding.ASCII.GetString(text, start, end - start);
        int space = old.IndexOf(' ');
        var replaced = release + (space >= 0 ? old[space..] : "");
        if (replaced == old) return;
        var bytes = Encoding.ASCII.GetBytes(replaced);
        modinfo.Contents = [.. text.AsSpan(0, start), .. bytes, .. text.AsSpan(end)];
        long delta = bytes.Length - (end - start);
        foreach (var s in w.Symbols)
            if (s.Section == modinfo && s.Value > (ulong)start) s.Value = (ulong)((long)s.Value + delta);
    }
}
