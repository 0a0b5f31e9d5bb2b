using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using GitKsplice.Elf;
using GitKsplice.Images;
using GitKsplice.Tests.Support;
using GitKsplice.Updates;
using GitKsplice.Vm;
using Xunit.Abstractions;

namespace GitKsplice.Tests.Livepatch;

/// <summary>
/// Updates of the Linux tests' kernel built by git ksplice create and loaded live under QEMU: what /proc shows
/// before, while the update is applied and after its undo is the proof, never only an exit code.
/// </summary>
[Collection(LinuxTreeCollection.Name)]
[Trait(TestCategory.Name, TestCategory.Linux)]
[Trait(TestCategory.Name, TestCategory.Vm)]
public class LiveUpdateTests(ITestOutputHelper log)
{
    private static LinuxTree Linux => LinuxTree.Shared;

    /// <summary>
    /// /proc/kallsyms' s_show (kernel/kallsyms.c) also prints each symbol's size: it now calls the file's static
    /// get_symbol_pos and its global kallsyms_show_value, which vmlinux does not export, and its name is shared
    /// with other s_show functions in vmlinux. Made once: the refusal tests corrupt its module.
    /// </summary>
    private static readonly Lazy<string> KallsymsUpdate = new(() => Create("kallsyms", Linux.CommitOn(Linux.Base,
        "kallsyms: show each symbol's size in /proc/kallsyms",
        ("kernel/kallsyms.c", LinuxTree.Replace(
            "\t} else\n\t\tseq_printf(m, \"%px %c %s\\n\", value,\n\t\t\t   iter->type, iter->name);\n",
            "\t} else {\n\t\tunsigned long size = 0;\n\n\t\tget_symbol_pos(iter->value, &size, NULL);\n" +
            "\t\tseq_printf(m, \"%px %c %s %lu%s\\n\", value, iter->type, iter->name, size,\n" +
            "\t\t\t   kallsyms_show_value(m->file->f_cred) ? \"\" : \" hidden\");\n\t}\n")))));

    private const string KallsymsCheck = "grep -w s_show /proc/kallsyms";

    /// <summary>
    /// kernel/configs.c, the fixture's loadable module (configs.ko, /proc/config.gz): its read function now
    /// serves THIS_MODULE->name, configs' own struct module, which only a livepatch relocation applied with
    /// configs can reach (the update's own THIS_MODULE would read "ksplice_configs"). Made once: a test corrupts it.
    /// </summary>
    private static readonly Lazy<string> ConfigsUpdate = new(() => Create("configs", Linux.CommitOn(Linux.Base, "configs: serve the module's name",
        ("kernel/configs.c", LinuxTree.Replace(
            "\treturn simple_read_from_buffer(buf, len, offset,\n\t\t\t\t       &kernel_config_data,\n\t\t\t\t       &kernel_config_data_end -\n\t\t\t\t       &kernel_config_data);\n",
            "\treturn simple_read_from_buffer(buf, len, offset, THIS_MODULE->name,\n\t\t\t\t       strlen(THIS_MODULE->name));\n")))));

    private static GuestFile RunningConfigs => new("/configs.ko", File.ReadAllBytes(Path.Combine(Linux.RunningModules, "kernel/configs.ko")));

    [Fact]
    public void A_changed_string_literal_in_a_proc_show_function_shows_while_applied_and_is_gone_after_undo()
    {
        var tarball = Create("literal", Linux.CommitOn(Linux.Base, "filesystems: call them virtual",
            ("fs/filesystems.c", LinuxTree.Replace("? \"\" : \"nodev\",", "? \"\" : \"virtual\","))));
        Assert.Equal(["vmlinux filesystems_proc_show 0"], Functions(tarball));

        var (trial, check) = Try(["literal"], "cat /proc/filesystems");

        Assert.Contains("nodev\tproc", check.Before);
        Assert.Equal(check.Before.Select(l => l.Replace("nodev\t", "virtual\t")), check.Applied);
        Assert.Equal(check.Before, check.After);
        AssertLoadedAndUndone(trial, "ksplice_literal");
    }

    [Fact]
    public void A_new_static_function_called_from_a_changed_one_is_carried_by_the_module()
    {
        var tarball = Create("newfunc", Linux.CommitOn(Linux.Base, "cmdline: mark it",
            ("fs/proc/cmdline.c", source => LinuxTree.Replace("static int cmdline_proc_show",
                    "static noinline void cmdline_proc_mark(struct seq_file *m)\n{\n\tseq_puts(m, \" ksplice=new-function\");\n}\n\nstatic int cmdline_proc_show")(
                LinuxTree.Replace("\tseq_puts(m, saved_command_line);\n", "\tseq_puts(m, saved_command_line);\n\tcmdline_proc_mark(m);\n")(source)))));
        var entry = Assert.Single(UpdateArchive.ReadManifest(tarball).Objects);
        Assert.Equal(["cmdline_proc_show"], entry.Changed);
        Assert.Equal(["cmdline_proc_mark"], entry.New);
        // The new function is called by the update's code, not put in place of anything in the kernel.
        Assert.Equal(["vmlinux cmdline_proc_show 0"], Functions(tarball));

        var (trial, check) = Try(["newfunc"], "cat /proc/cmdline");

        var before = Assert.Single(check.Before);
        Assert.Equal([before + " ksplice=new-function"], check.Applied);
        Assert.Equal(check.Before, check.After);
        AssertLoadedAndUndone(trial, "ksplice_newfunc");
    }

    [Fact]
    public void A_function_of_a_duplicated_name_using_a_static_function_and_an_unexported_global_is_patched_at_its_position()
    {
        var tarball = KallsymsUpdate.Value;
        var kernelSShows = SystemMap().Count(l => l.EndsWith(" t s_show", StringComparison.Ordinal));
        Assert.True(kernelSShows > 1, $"vmlinux has {kernelSShows} s_show");
        var sympos = Sympos(tarball, "s_show");
        Assert.InRange(sympos, 1, kernelSShows);
        // Both references of the new code that the module loader cannot resolve are livepatch relocations.
        var symbols = ModuleOf(tarball).Symbols.Where(s => s.SectionIndex == 0xff20).Select(s => s.Name).ToList();
        Assert.Contains(".klp.sym.vmlinux.get_symbol_pos,0", symbols);
        Assert.Contains(".klp.sym.vmlinux.kallsyms_show_value,0", symbols);

        var (trial, check) = Try(["kallsyms"], KallsymsCheck);

        // The kernel's own s_show functions, before: address, type, name. Had the module patched another s_show
        // (a wrong sympos), /proc/kallsyms would not change.
        Assert.Equal(kernelSShows, check.Before.Count);
        var applied = check.Applied.Where(l => !l.Contains('[')).ToList(); // the module's own s_show is listed too
        Assert.Equal(check.Before.Count, applied.Count);
        foreach (var (was, now) in check.Before.Zip(applied))
            Assert.Matches(@"^" + System.Text.RegularExpressions.Regex.Escape(was) + @" [1-9][0-9]*$", now);
        Assert.Equal(check.Before, check.After);
        AssertLoadedAndUndone(trial, "ksplice_kallsyms");
    }

    [Fact]
    public void Two_series_updates_stack_and_are_undone_in_reverse()
    {
        const string version = "fs/proc/version.c", banner = "\t\tutsname()->version);\n";
        var one = Linux.CommitOn(Linux.Base, "version: one", (version, LinuxTree.Replace(banner, banner + "\tseq_puts(m, \"series: one\\n\");\n")));
        var two = Linux.CommitOn(one, "version: two", (version, LinuxTree.Replace("\tseq_puts(m, \"series: one\\n\");\n",
            "\tseq_puts(m, \"series: one\\n\");\n\tseq_puts(m, \"series: two\\n\");\n")));
        string first, second;
        try
        {
            first = Create("series-one", one, "--series");
            second = Create("series-two", two, "--series");
        }
        finally
        {
            // The next tests' updates are made on the running kernel's source again.
            var reset = Linux.Repo.Ksplice("series", "set", Linux.Base);
            Assert.True(reset.ExitCode == 0, reset.All);
        }
        Assert.Equal("series-one", UpdateArchive.ReadManifest(second).Module!.Follows);
        Assert.False(UpdateArchive.ReadManifest(second).Module!.Replace);

        // git ksplice try of the second loads the first before it and undoes them in reverse.
        var (trial, check) = Try(["series-two"], "cat /proc/version");
        Assert.Equal(["series-one", "series-two"], trial.GetProperty("updates").EnumerateArray().Select(u => u.GetProperty("id").GetString()));
        var banner0 = Assert.Single(check.Before);
        Assert.Equal([banner0, "series: one", "series: two"], check.Applied);
        Assert.Equal(check.Before, check.After);
        AssertLoadedAndUndone(trial, "ksplice_series_one", "ksplice_series_two");
        var steps = GuestTranscript.Parse(File.ReadLines(trial.GetProperty("serialLog").GetString()!)).Steps.Select(s => s.Name).ToList();
        Assert.True(steps.IndexOf("undo-1") < steps.IndexOf("undo-0"), string.Join(' ', steps));

        // Step by step in a guest of our own: what /proc/version shows after each load and each undo.
        var transcript = Guest([Module(first), Module(second)], script => script
            .Line(GuestScript.Step("base", "cat /proc/version"))
            .Line(Load(Module(first), "one"))
            .Line(Load(Module(second), "both"))
            .Line(Undo(Module(second), "undo-two"))
            .Line(Undo(Module(first), "undo-one")));
        Assert.Equal([banner0], Output(transcript, "base"));
        Assert.Equal([banner0, "series: one"], Output(transcript, "one"));
        Assert.Equal([banner0, "series: one", "series: two"], Output(transcript, "both"));
        Assert.Equal([banner0, "series: one"], Output(transcript, "undo-two"));
        Assert.Equal([banner0], Output(transcript, "undo-one"));
    }

    /// <summary>
    /// A function of the loadable module configs.ko (<see cref="ConfigsUpdate"/>), patched while configs is
    /// loaded, and again when configs loads after the update (the livepatch core's module-coming path).
    /// </summary>
    [Fact]
    public void A_function_of_a_loadable_module_is_patched_in_that_module_when_it_is_loaded_and_when_it_loads_later()
    {
        var tarball = ConfigsUpdate.Value;
        Assert.Equal(["configs ikconfig_read_current 0"], Functions(tarball));
        Assert.Contains("module configs: the pre build's kernel/configs.ko", UpdateArchive.ReadManifest(tarball).Module!.SymbolPositionsSource);
        var elf = ModuleOf(tarball);
        Assert.Contains(elf.Sections, s => s.Name == ".klp.rela.configs..text.ikconfig_read_current");
        Assert.DoesNotContain(elf.Sections, s => s.Name.StartsWith(".klp.rela.vmlinux.", StringComparison.Ordinal));
        Assert.Contains(".klp.sym.configs.__this_module,0", elf.Symbols.Where(s => s.SectionIndex == 0xff20).Select(s => s.Name));
        var update = Module(tarball);
        // The size, then the first seven bytes with anything but a-z as '.': gzip's header before, the name after.
        const string read = "wc -c < /proc/config.gz && head -c 7 /proc/config.gz | tr -c a-z . && echo";
        string undo = $"echo 0 > /sys/kernel/livepatch/{update.Name}/enabled && wait_transition {update.Name} && rmmod {update.Name}";

        var transcript = Guest([update], script => script
            .Line(GuestScript.Step("loaded", $"insmod /configs.ko && {read}"))
            .Line(GuestScript.Step("patched", $"insmod /{update.Name}.ko && wait_transition {update.Name} && {read}"))
            .Line(GuestScript.Step("undone", $"{undo} && {read}"))
            .Line(GuestScript.Step("unloaded", "rmmod configs && ! test -e /proc/config.gz"))
            .Line(GuestScript.Step("waiting", $"insmod /{update.Name}.ko && wait_transition {update.Name} && cat /sys/kernel/livepatch/{update.Name}/configs/patched"))
            .Line(GuestScript.Step("coming", $"insmod /configs.ko && {read} && cat /sys/kernel/livepatch/{update.Name}/configs/patched"))
            .Line(GuestScript.Step("log", $"dmesg | grep -c \"applying patch '{update.Name}' to loading module 'configs'\""))
            .Line(GuestScript.Step("undone-again", $"{undo} && {read}")), [RunningConfigs]);

        List<string> Read(string step) => Output(transcript, step).Select(l => l.Trim()).ToList();
        var original = Read("loaded");
        Assert.Equal(2, original.Count);
        Assert.True(int.Parse(original[0]) > 1000, original[0]); // the gzipped .config
        Assert.Equal(".......", original[1]);
        Assert.Equal(["7", "configs"], Read("patched"));
        Assert.Equal(original, Read("undone"));
        Assert.Equal(["0"], Read("waiting")); // the update is enabled, configs is not there yet
        Assert.Equal(["7", "configs", "1"], Read("coming"));
        Assert.Equal(["1"], Read("log"));
        Assert.Equal(original, Read("undone-again"));

        // git ksplice try with the running kernel's configs.ko in the guest (--module): the same, side by side.
        var (trial, check) = Try(["configs"], "wc -c < /proc/config.gz", "--module", Path.Combine(Linux.RunningModules, "kernel/configs.ko"));
        Assert.Equal([original[0]], check.Before.Select(l => l.Trim()));
        Assert.Equal(["7"], check.Applied.Select(l => l.Trim()));
        Assert.Equal(check.Before, check.After);
        AssertLoadedAndUndone(trial, "ksplice_configs");
    }

    /// <summary>
    /// The module's livepatch symbol for configs' struct module given a wrong position: the kernel refuses the
    /// update while configs is loaded, and refuses configs itself when it loads after the update, so a position
    /// counted wrongly in a module would be caught.
    /// </summary>
    [Fact]
    public void A_wrong_position_of_a_modules_symbol_is_refused_when_it_is_loaded_and_when_it_loads_later()
    {
        var bytes = Module(ConfigsUpdate.Value).Bytes.ToArray();
        var name = Encoding.ASCII.GetBytes(".klp.sym.configs.__this_module,0\0");
        var at = bytes.AsSpan().IndexOf(name);
        Assert.True(at >= 0);
        bytes[at + name.Length - 2] = (byte)'7';
        var corrupt = KernelModule.Read(bytes, "ksplice_configs.ko");
        const string notFound = "symbol position 7 for symbol '__this_module' in object 'configs' not found";

        var transcript = Guest([corrupt], script => script
            .Line(GuestScript.Step("loaded", $"insmod /configs.ko && if insmod /{corrupt.Name}.ko; then echo loaded; else echo refused; fi; dmesg | grep -F \"{notFound}\""))
            .Line(GuestScript.Step("coming", $"rmmod configs && insmod /{corrupt.Name}.ko && if insmod /configs.ko; then echo loaded; else echo refused; fi; " +
                "test -e /proc/config.gz || echo 'no /proc/config.gz'; dmesg | grep -F \"refusing to load module 'configs'\"")), [RunningConfigs]);

        var loaded = Output(transcript, "loaded");
        Assert.Contains("refused", loaded);
        Assert.Contains(loaded, l => l.Contains(notFound, StringComparison.Ordinal));
        var coming = Output(transcript, "coming");
        Assert.Contains("refused", coming);
        Assert.Contains("no /proc/config.gz", coming);
        Assert.Contains(coming, l => l.Contains("patch 'ksplice_configs' failed for module 'configs', refusing to load module 'configs'", StringComparison.Ordinal));
    }

    [Fact]
    public void An_init_change_never_yields_a_module()
    {
        var commit = Linux.CommitOn(Linux.Base, "cmdline: readable by all",
            ("fs/proc/cmdline.c", LinuxTree.Replace("proc_create_single(\"cmdline\", 0,", "proc_create_single(\"cmdline\", 0444,")));

        var refused = Ksplice("create", "--id", "init", commit);
        Assert.True(refused.ExitCode == 2, refused.All);
        Assert.Contains("proc_cmdline_init() is __init code", refused.StdErr);
        Assert.False(File.Exists(Linux.Repo.Path("ksplice-init.tar.gz")));

        var forced = Ksplice("create", "--force", "--id", "init", commit);
        Assert.True(forced.ExitCode == 0, forced.All);
        Assert.Contains("the update holds no loadable module", forced.StdErr);
        var tarball = Linux.Repo.Path("ksplice-init.tar.gz");
        Assert.Null(UpdateArchive.ReadManifest(tarball).Module);
        Assert.DoesNotContain(UpdateArchive.ReadAll(tarball).Keys, name => name.EndsWith(".ko", StringComparison.Ordinal));
        var trial = Ksplice("try", "init");
        Assert.Equal(1, trial.ExitCode);
        Assert.Contains("fatal: update init holds no livepatch module", trial.StdErr);
    }

    /// <summary>Where our mistake would be: the position of the replaced function, or of a symbol the new code uses.</summary>
    public static TheoryData<string> Corruptions => ["klp_func old_sympos", "klp.sym position"];

    [Theory]
    [MemberData(nameof(Corruptions))]
    public void A_module_with_a_wrong_symbol_position_is_refused_by_the_kernel(string corruption)
    {
        var files = UpdateArchive.ReadAll(KallsymsUpdate.Value);
        var manifest = Manifest.FromJson(Encoding.UTF8.GetString(files[UpdateArchive.ManifestName]), "manifest.json");
        var bytes = files[manifest.Module!.File].ToArray();
        string expected;
        if (corruption == "klp_func old_sympos")
        {
            // struct klp_func starts { old_name, new_func, old_sympos }: s_show is the first of the vmlinux object's.
            var funcs = new ElfFile(bytes, "module").Symbols.Single(s => s.Name == "ksplice_funcs_0");
            var at = (int)(funcs.Section!.Offset + funcs.Value) + 16;
            Assert.Equal((ulong)Sympos(KallsymsUpdate.Value, "s_show"), BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(at)));
            BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(at), 0);
            expected = "unresolvable ambiguity for symbol 's_show' in object"; // 6.1 names vmlinux "(null)" here
        }
        else
        {
            var name = Encoding.ASCII.GetBytes(".klp.sym.vmlinux.kallsyms_show_value,0\0");
            var at = bytes.AsSpan().IndexOf(name);
            Assert.True(at >= 0);
            bytes[at + name.Length - 2] = (byte)'7';
            expected = "symbol position 7 for symbol 'kallsyms_show_value' in object 'vmlinux' not found";
        }
        using var dir = new TempDir();
        var corrupt = dir["ksplice-kallsyms.tar.gz"];
        // The manifest names the corrupted module's sha256, so only the kernel can tell what is wrong with it.
        var resealed = Encoding.UTF8.GetBytes((manifest with { Module = manifest.Module with { Sha256 = Convert.ToHexStringLower(SHA256.HashData(bytes)) } }).ToJson());
        UpdateArchive.WriteTo(corrupt, "ksplice-kallsyms/", files.Select(f => new ArchiveFile(f.Key, () => new MemoryStream(
            f.Key == manifest.Module.File ? bytes : f.Key == UpdateArchive.ManifestName ? resealed : f.Value))), DateTime.UnixEpoch);

        var report = UpdateTrial.Run(new TrialRequest([new TrialInput(UpdateTarball.Open(corrupt))], Linux.KernelImage, dir["serial.log"])
        {
            Checks = [KallsymsCheck],
        }, _ => { }, CancellationToken.None);

        Assert.False(report.Passed);
        var module = Assert.Single(report.Modules);
        Assert.False(module.Loaded);
        Assert.Contains(module.LoadOutput, l => l.Contains(expected, StringComparison.Ordinal));
        var check = Assert.Single(report.Checks);
        Assert.Null(check.Applied);
        Assert.Equal(check.Before!.Output, check.After!.Output);
        Assert.Empty(report.KernelWarnings);
    }

    private static RunResult Ksplice(params string[] args) =>
        ProcessRunner.Run(Linux.Repo.Root, "git", ["ksplice", .. args], timeoutMs: 1_800_000);

    /// <summary>git ksplice create of one commit; returns the update's tarball.</summary>
    private static string Create(string id, string commit, params string[] options)
    {
        var create = Ksplice(["create", "--id", id, .. options, commit]);
        Assert.True(create.ExitCode == 0, create.All);
        return Linux.Repo.Path($"ksplice-{id}.tar.gz");
    }

    /// <summary>"object function sympos" for each function the update's module replaces.</summary>
    private static List<string> Functions(string tarball) =>
        UpdateArchive.ReadManifest(tarball).Module!.Objects.SelectMany(o => o.Functions.Select(f => $"{o.Name} {f.OldName} {f.Sympos}")).ToList();

    private static int Sympos(string tarball, string function) =>
        UpdateArchive.ReadManifest(tarball).Module!.Objects.SelectMany(o => o.Functions).Single(f => f.OldName == function).Sympos;

    private static ElfFile ModuleOf(string tarball)
    {
        var files = UpdateArchive.ReadAll(tarball);
        var manifest = Manifest.FromJson(Encoding.UTF8.GetString(files[UpdateArchive.ManifestName]), "manifest.json");
        return new ElfFile(files[manifest.Module!.File], manifest.Module.File);
    }

    private static KernelModule Module(string tarball)
    {
        var files = UpdateArchive.ReadAll(tarball);
        var manifest = Manifest.FromJson(Encoding.UTF8.GetString(files[UpdateArchive.ManifestName]), "manifest.json");
        return KernelModule.Read(files[manifest.Module!.File], manifest.Module.File);
    }

    private static IEnumerable<string> SystemMap() => File.ReadLines(Linux.Repo.Path("ksplice/System.map"));

    private sealed record CheckOutputs(List<string> Before, List<string> Applied, List<string> After);

    /// <summary>git ksplice try --json with one check: it must pass; returns the report and the check's three outputs.</summary>
    private (JsonElement Report, CheckOutputs Check) Try(string[] ids, string check, params string[] options)
    {
        var run = Ksplice(["try", .. ids, "--check", check, .. options, "--json"]);
        Assert.True(run.ExitCode == 0, run.All);
        var report = JsonDocument.Parse(run.StdOut).RootElement.Clone();
        foreach (var update in report.GetProperty("updates").EnumerateArray())
            log.WriteLine($"{update.GetProperty("module").GetString()}: transition {update.GetProperty("transitionSeconds")} s");
        log.WriteLine($"try {string.Join(' ', ids)}: {report.GetProperty("seconds")} s in QEMU");
        var c = report.GetProperty("checks")[0];
        List<string> Lines(string phase) => c.GetProperty(phase).GetProperty("output").EnumerateArray().Select(l => l.GetString()!).ToList();
        return (report, new CheckOutputs(Lines("before"), Lines("applied"), Lines("after")));
    }

    private static void AssertLoadedAndUndone(JsonElement report, params string[] modules)
    {
        Assert.Equal("passed", report.GetProperty("result").GetString());
        var updates = report.GetProperty("updates").EnumerateArray().ToList();
        Assert.Equal(modules, updates.Select(u => u.GetProperty("module").GetString()));
        foreach (var u in updates)
        {
            Assert.True(u.GetProperty("loaded").GetBoolean());
            Assert.True(u.GetProperty("transitionSeconds").GetDouble() > 0);
            Assert.True(u.GetProperty("undone").GetBoolean());
        }
        Assert.Empty(report.GetProperty("kernelWarnings").EnumerateArray());
    }

    private const string WaitTransition = """
        wait_transition() {
            # A disabled patch's directory goes once its transition is done.
            while [ "$(cat /sys/kernel/livepatch/$1/transition 2>/dev/null)" = 1 ]; do sleep 0.05; done
        }
        """;

    private static string Load(KernelModule module, string step) =>
        GuestScript.Step(step, $"insmod /{module.Name}.ko && wait_transition {module.Name} && cat /proc/version");

    private static string Undo(KernelModule module, string step) =>
        GuestScript.Step(step, $"echo 0 > /sys/kernel/livepatch/{module.Name}/enabled && wait_transition {module.Name} && rmmod {module.Name} && cat /proc/version");

    /// <summary>Boots the running kernel with the modules (and other files) in / and a script of our own; every step must succeed.</summary>
    private GuestTranscript Guest(IReadOnlyList<KernelModule> modules, Func<GuestScript, GuestScript> steps, IEnumerable<GuestFile>? files = null)
    {
        using var dir = new TempDir();
        var initramfs = dir["initramfs.cpio.gz"];
        Initramfs.Write(initramfs, VmTools.StaticBusybox(), steps(new GuestScript().Line(WaitTransition)).Render(),
            modules.Select(m => new GuestFile($"/{m.Name}.ko", m.Bytes)).Concat(files ?? []));
        var transcript = new GuestTranscript();
        var vm = QemuMachine.Run(new VmRequest(Linux.KernelImage, initramfs, dir["serial.log"], HangGuard.Bound),
            line => transcript.Add(line), CancellationToken.None);
        Assert.True(transcript.Completed && !vm.TimedOut, File.ReadAllText(dir["serial.log"]));
        foreach (var step in transcript.Steps) Assert.True(step.Succeeded, $"{step.Name}: {string.Join('\n', step.Output)}");
        log.WriteLine($"guest of our own: {vm.Elapsed.TotalSeconds:0.0} s; {string.Join(", ", transcript.Steps.Select(s => $"{s.Name} {s.Seconds:0.00} s"))}");
        return transcript;
    }

    private static List<string> Output(GuestTranscript transcript, string step) => transcript.Find(step)!.Output.ToList();
}
