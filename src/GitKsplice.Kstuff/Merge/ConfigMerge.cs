using GitKsplice.Kstuff.Config;

namespace GitKsplice.Kstuff.Merge;

/// <summary>
/// The merge of kstuff(1)'s OPERATION section, as a pure function: no file, process or network access
/// (file contents are read only through the trees' <see cref="FileContent"/>s, and only for parsed files,
/// which the trees already hold).
/// <para>Inputs: the <paramref name="source"/> tree (the cross-environment build, usually an extracted bundle),
/// the <paramref name="target"/> tree (the host's /etc/conf as read from it), and <see cref="MergeOptions"/>
/// (-n/-Y/-N, -r renames, the majors of the nodes in the target's /dev).</para>
/// <para>Output: a <see cref="MergeResult"/>: the merged <see cref="ConfigTree"/> whose files each say where they
/// come from (<see cref="TreeSide.Source"/>, <see cref="TreeSide.Target"/>, or rewritten as
/// <see cref="TreeSide.Merged"/>), one <see cref="DriverDecision"/> per driver naming the rule applied, and the
/// WARNINGs. The same inputs always give the same result.</para>
/// <para>Rules: target-only drivers are kept only when hardware ($dversion, or characteristic b, c or h).
/// Drivers in both take System from the target (loadable iff loadable in both; "#$loadable" in the source counts
/// as loadable), Master from the source with the target's majors and cpu binding (WARNING when a k driver's
/// majors change), Node from the source when it has one; a hardware driver stubbed out in the source but
/// configured in the target is taken whole from the target. Source-only drivers come in only when kerntp
/// (ktest, cdki, bdki), required (r) or named by -n/-Y/-N; majors that collide with a target driver, a reserved
/// res_major entry, a /dev node or another incorporated driver are remapped to the lowest free range of the same
/// size (WARNING for k), or the driver is left out with a WARNING. cf.d/res_major is the target's plus one line
/// per incorporated source-only k driver; init.d, rc.d, sd.d and the rest of cf.d come from the target; bin,
/// interface.d and include.d from the source when it has them; any other file from the target, else the source.</para>
/// </summary>
public static class ConfigMerge
{
    /// <summary>The kernel test drivers of kerntp, incorporated whenever the source has them.</summary>
    public static IReadOnlySet<string> KerntpDrivers { get; } = new HashSet<string>(StringComparer.Ordinal) { "ktest", "cdki", "bdki" };

    private static readonly string[] TargetDirectories = ["init.d", "rc.d", "sd.d", "cf.d"];
    private static readonly string[] SourceDirectories = ["bin", "interface.d", "include.d"];

    public static MergeResult Merge(ConfigTree source, ConfigTree target, MergeOptions options)
    {
        var run = new MergeRun(target, options);
        var sourceDrivers = run.ApplyRenames(source);
        run.CheckStuffNames(sourceDrivers, target);

        var names = new SortedSet<string>(sourceDrivers.Keys.Concat(target.Drivers.Keys), StringComparer.Ordinal);
        foreach (var name in names)
        {
            var inTarget = target.Drivers.GetValueOrDefault(name);
            if (!sourceDrivers.TryGetValue(name, out var inSource)) run.TargetOnly(inTarget!);
            else if (inTarget != null) run.Both(inSource.Driver, inSource.SourceName, inTarget);
        }
        // Source-only drivers last, so that remapped majors avoid everything already placed.
        foreach (var name in names)
            if (!target.Drivers.ContainsKey(name) && sourceDrivers.TryGetValue(name, out var inSource))
                run.SourceOnly(inSource.Driver, inSource.SourceName);

        var merged = new ConfigTree(run.Drivers, run.MergedResMajor(), MergeOtherFiles(source, target));
        return new MergeResult(merged, run.Decisions.OrderBy(d => d.Name, StringComparer.Ordinal).ToList(), run.Warnings);
    }

    private static IEnumerable<TreeFile> MergeOtherFiles(ConfigTree source, ConfigTree target)
    {
        static string Top(TreeFile f) => f.Path.Split('/')[0];
        var sourceTops = source.OtherFiles.Select(Top).ToHashSet(StringComparer.Ordinal);
        var targetPaths = target.OtherFiles.Select(f => f.Path).ToHashSet(StringComparer.Ordinal);
        foreach (var file in target.OtherFiles)
        {
            var top = Top(file);
            if (SourceDirectories.Contains(top) && sourceTops.Contains(top)) continue;
            yield return file;
        }
        foreach (var file in source.OtherFiles)
        {
            var top = Top(file);
            if (TargetDirectories.Contains(top)) continue;
            if (SourceDirectories.Contains(top) || !targetPaths.Contains(file.Path)) yield return file;
        }
    }

    /// <summary>The state of one merge: the drivers placed so far and the majors they hold.</summary>
    private sealed class MergeRun(ConfigTree target, MergeOptions options)
    {
        public List<DriverConfig> Drivers { get; } = [];
        public List<DriverDecision> Decisions { get; } = [];
        public List<MergeWarning> Warnings { get; } = [];
        private readonly List<ResMajorEntry> _addedReservations = [];
        private readonly HashSet<int> _usedBlock = [.. options.DevMajors.Block, .. MajorsOf(target, 'b')];
        private readonly HashSet<int> _usedChar = [.. options.DevMajors.Character, .. MajorsOf(target, 'c')];
        private readonly Dictionary<string, string> _mergedNameOf = new(StringComparer.Ordinal);

        private static IEnumerable<int> MajorsOf(ConfigTree tree, char type) =>
            tree.Drivers.Values.Where(d => d.Master != null).SelectMany(d => d.Master!.Entries)
                .Where(e => e.Has(type)).SelectMany(e => (type == 'b' ? e.BlockMajors : e.CharMajors).All());

        public Dictionary<string, (DriverConfig Driver, string SourceName)> ApplyRenames(ConfigTree source)
        {
            var result = new Dictionary<string, (DriverConfig, string)>(StringComparer.Ordinal);
            foreach (var (name, driver) in source.Drivers)
            {
                var mergedName = name;
                if (options.Renames.TryGetValue(name, out var renamed) && renamed != name)
                {
                    if (source.Drivers.ContainsKey(renamed) && !options.Renames.ContainsKey(renamed))
                        Warnings.Add(new(name, $"not renamed to '{renamed}': the source tree has a driver of that name too"));
                    else mergedName = renamed;
                }
                if (!result.TryAdd(mergedName, (driver.Renamed(mergedName), name)))
                {
                    Warnings.Add(new(name, $"left out: renaming it to '{mergedName}' collides with another source driver"));
                    continue;
                }
                _mergedNameOf[name] = mergedName;
            }
            foreach (var (from, to) in options.Renames)
                if (!source.Drivers.ContainsKey(from))
                    Warnings.Add(new(from, $"rename to '{to}' ignored: no such driver in the source tree"));
            return result;
        }

        public void CheckStuffNames(Dictionary<string, (DriverConfig Driver, string SourceName)> sourceDrivers, ConfigTree targetTree)
        {
            foreach (var name in options.Stuff.Keys)
                if (!sourceDrivers.ContainsKey(name) && !_mergedNameOf.ContainsKey(name))
                    Warnings.Add(new(name, targetTree.Drivers.ContainsKey(name)
                        ? "named by -n/-Y/-N but only the target has it: nothing to stuff"
                        : "named by -n/-Y/-N but neither tree has it"));
        }

        private StuffMode? StuffModeOf(string mergedName, string sourceName) =>
            options.Stuff.TryGetValue(mergedName, out var m) ? m : options.Stuff.TryGetValue(sourceName, out m) ? m : null;

        public void TargetOnly(DriverConfig driver)
        {
            if (driver.IsHardware)
            {
                Drivers.Add(driver);
                Decide(driver.Name, null, DriverFate.TargetOnlyKept, "only in the target, a hardware driver: kept");
            }
            else Decide(driver.Name, null, DriverFate.TargetOnlyDropped, "only in the target, not a hardware driver: left out");
        }

        public void Both(DriverConfig source, string sourceName, DriverConfig target)
        {
            var hardware = source.IsHardware || target.IsHardware;
            if (hardware && source.System is { IsStubbedOut: true } && target.System is { IsConfigured: true })
            {
                var taken = ApplyStuff(target, sourceName, out var stuffNote);
                Drivers.Add(taken);
                Decide(target.Name, sourceName, DriverFate.TakenFromTarget,
                    "hardware driver stubbed out in the source but configured in the target: taken from the target" + stuffNote);
                return;
            }

            var notes = new List<string>();
            var system = target.System;
            if (system == null && source.System != null)
            {
                system = source.System;
                notes.Add("System from the source (the target has none)");
            }
            else if (system != null && system.IsLoadable && !(source.System?.IsLoadableAsSource ?? false))
            {
                system = system.WithoutLoadable();
                notes.Add("not loadable: the source does not declare $loadable");
            }

            var changes = new List<MajorChange>();
            var master = source.Master ?? target.Master;
            if (source.Master != null && target.Master != null)
            {
                master = source.Master.WithEntries(entry =>
                {
                    var fromTarget = target.Master.Entries.FirstOrDefault(t => t.Name == entry.Name)
                        ?? (target.Master.Entries.Count == 1 ? target.Master.Entries[0] : null);
                    if (fromTarget == null) return entry;
                    if (entry.BlockMajors != fromTarget.BlockMajors)
                        changes.Add(new MajorChange('b', entry.BlockMajors, fromTarget.BlockMajors));
                    if (entry.CharMajors != fromTarget.CharMajors)
                        changes.Add(new MajorChange('c', entry.CharMajors, fromTarget.CharMajors));
                    // Only a version 1 Master binds a cpu; a version 2 one leaves it to the System file (the target's).
                    var cpu = source.Master.Version == 1 ? fromTarget.Cpu : null;
                    if (entry.Cpu != cpu)
                        notes.Add(cpu == null ? "cpu binding dropped as in the target" : $"cpu binding {cpu} from the target");
                    return entry with { BlockMajors = fromTarget.BlockMajors, CharMajors = fromTarget.CharMajors, Cpu = cpu };
                });
                if (changes.Count > 0)
                {
                    notes.Add("majors from the target: " + Describe(changes));
                    if (source.Master.KeepsMajors)
                        Warnings.Add(new(target.Name, $"declares k (keep) but its major numbers change to the target's: {Describe(changes)}"));
                }
            }
            else if (source.Master == null && target.Master != null)
                notes.Add("Master from the target (the source has none)");

            var node = source.Node ?? target.Node;
            if (source.Node == null && target.Node != null) notes.Add("Node from the target (the source has none)");

            var merged = new DriverConfig(target.Name, master, system, node, MergeOwnedFiles(source, target), TreeSide.Merged);
            merged = ApplyStuff(merged, sourceName, out var note);
            Drivers.Add(merged);
            var reason = "in both: Master and Node from the source, System from the target";
            if (notes.Count > 0) reason += "; " + string.Join("; ", notes);
            Decide(target.Name, sourceName, DriverFate.Merged, reason + note, changes);
        }

        // pack.d comes whole from the source when it has one; tunables file by file, the source's first.
        private static List<TreeFile> MergeOwnedFiles(DriverConfig source, DriverConfig target)
        {
            static bool InPack(TreeFile f) => f.Path.StartsWith("pack.d/", StringComparison.Ordinal);
            var sourceHasPack = source.Files.Any(InPack);
            var files = source.Files.ToList();
            var sourcePaths = files.Select(f => f.Path).ToHashSet(StringComparer.Ordinal);
            files.AddRange(target.Files.Where(f => InPack(f) ? !sourceHasPack : !sourcePaths.Contains(f.Path)));
            return files;
        }

        public void SourceOnly(DriverConfig driver, string sourceName)
        {
            var mode = StuffModeOf(driver.Name, sourceName);
            string why;
            if (KerntpDrivers.Contains(driver.Name)) why = "a kerntp driver";
            else if (driver.Master?.IsRequired == true) why = "required (r)";
            else if (mode != null) why = "named by " + Flag(mode.Value);
            else
            {
                Decide(driver.Name, sourceName, DriverFate.SourceOnlyLeftOut, "only in the source, neither kerntp nor required nor named by -n/-Y/-N: left out");
                return;
            }

            var changes = new List<MajorChange>();
            var placed = driver;
            if (driver.Master != null)
            {
                var master = Remap(driver.Name, driver.Master, changes, out var failure);
                if (master == null)
                {
                    Warnings.Add(new(driver.Name, $"not incorporated: {failure}"));
                    Decide(driver.Name, sourceName, DriverFate.SourceOnlyNoMajors, $"only in the source ({why}) but {failure}: left out");
                    return;
                }
                placed = changes.Count > 0 ? driver with { Master = master, Origin = TreeSide.Merged } : driver;
                if (changes.Count > 0 && driver.Master.KeepsMajors)
                    Warnings.Add(new(driver.Name, $"declares k (keep) but its major numbers are remapped: {Describe(changes)}"));
                Reserve(master);
                if (master.KeepsMajors)
                    foreach (var entry in master.Entries)
                    {
                        if (entry.IsBlock) _addedReservations.Add(new ResMajorEntry('b', entry.BlockMajors, entry.Name));
                        if (entry.IsCharacter) _addedReservations.Add(new ResMajorEntry('c', entry.CharMajors, entry.Name));
                    }
            }
            placed = ApplyStuff(placed, sourceName, out var note);
            Drivers.Add(placed);
            var reason = $"only in the source, {why}: incorporated";
            if (changes.Count > 0) reason += "; majors remapped: " + Describe(changes);
            Decide(driver.Name, sourceName, DriverFate.SourceOnlyIncluded, reason + note, changes);
        }

        /// <summary>The Master with colliding majors moved to free ranges, or null when there is no room.</summary>
        private MasterFile? Remap(string driver, MasterFile master, List<MajorChange> changes, out string failure)
        {
            failure = "";
            var reservedByOthers = target.ResMajor?.Entries.Where(r => r.Module != driver).ToList() ?? [];
            bool Free(char type, MajorRange range) =>
                range.All().All(m => !(type == 'b' ? _usedBlock : _usedChar).Contains(m))
                && !reservedByOthers.Any(r => r.Type == type && r.Majors.Overlaps(range));

            var result = master;
            for (int i = 0; i < master.Entries.Count; i++)
            {
                var entry = master.Entries[i];
                var block = entry.BlockMajors;
                var character = entry.CharMajors;
                bool blockClash = entry.IsBlock && !Free('b', block);
                bool charClash = entry.IsCharacter && !Free('c', character);
                if (!blockClash && !charClash) continue;

                if (entry.IsBlock && entry.IsCharacter && block == character)
                {
                    // One number for both kinds of node: keep it one number.
                    var both = FindFree(block.Count, r => Free('b', r) && Free('c', r));
                    if (both == null) { failure = $"no free range of {block.Count} major number(s) up to {options.MaxMajor} for both its block and character majors ({block})"; return null; }
                    block = character = both.Value;
                }
                else
                {
                    if (blockClash)
                    {
                        var found = FindFree(block.Count, r => Free('b', r));
                        if (found == null) { failure = $"no free range of {block.Count} block major number(s) up to {options.MaxMajor} (it asks for {block})"; return null; }
                        block = found.Value;
                    }
                    if (charClash)
                    {
                        var found = FindFree(character.Count, r => Free('c', r));
                        if (found == null) { failure = $"no free range of {character.Count} character major number(s) up to {options.MaxMajor} (it asks for {character})"; return null; }
                        character = found.Value;
                    }
                }
                if (block != entry.BlockMajors) changes.Add(new MajorChange('b', entry.BlockMajors, block));
                if (character != entry.CharMajors) changes.Add(new MajorChange('c', entry.CharMajors, character));
                result = result.WithEntry(i, entry with { BlockMajors = block, CharMajors = character });
            }
            return result;
        }

        // Major 0 stands for "none" in Master files, so a remap starts at 1.
        private MajorRange? FindFree(int count, Func<MajorRange, bool> free)
        {
            for (int first = 1; first + count - 1 <= options.MaxMajor; first++)
            {
                var range = new MajorRange(first, first + count - 1);
                if (free(range)) return range;
            }
            return null;
        }

        private void Reserve(MasterFile master)
        {
            foreach (var entry in master.Entries)
            {
                if (entry.IsBlock) _usedBlock.UnionWith(entry.BlockMajors.All());
                if (entry.IsCharacter) _usedChar.UnionWith(entry.CharMajors.All());
            }
        }

        private DriverConfig ApplyStuff(DriverConfig driver, string sourceName, out string note)
        {
            note = "";
            var mode = StuffModeOf(driver.Name, sourceName);
            if (mode is null or StuffMode.Include) return driver;
            bool configure = mode == StuffMode.Configure;
            if (driver.System == null)
            {
                Warnings.Add(new(driver.Name, $"{Flag(mode.Value)} asks to {(configure ? "configure" : "stub out")} it but it has no System file"));
                return driver;
            }
            note = configure ? "; every N changed to Y in System (-Y)" : "; every Y changed to N in System (-N)";
            return driver with { System = driver.System.WithConfigured(configure), Origin = TreeSide.Merged };
        }

        public ResMajorFile? MergedResMajor()
        {
            var existing = target.ResMajor?.Entries ?? [];
            var added = _addedReservations.Where(a => !existing.Contains(a)).ToList();
            if (added.Count == 0) return target.ResMajor;
            return (target.ResMajor ?? ResMajorFile.Empty(ConfigTree.ResMajorPath)).WithAppended(added);
        }

        private void Decide(string name, string? sourceName, DriverFate fate, string reason, IReadOnlyList<MajorChange>? changes = null) =>
            Decisions.Add(new DriverDecision(name, sourceName, fate, reason, changes ?? []));

        private static string Flag(StuffMode mode) => mode switch
        {
            StuffMode.Configure => "-Y",
            StuffMode.StubOut => "-N",
            _ => "-n",
        };

        private static string Describe(IEnumerable<MajorChange> changes) =>
            string.Join(", ", changes.Select(c => $"{(c.Type == 'b' ? "block" : "character")} {c.From} -> {c.To}"));
    }
}
