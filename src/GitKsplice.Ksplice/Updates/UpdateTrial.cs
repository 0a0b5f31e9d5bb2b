using GitKsplice.Images;
using GitKsplice.Json;
using GitKsplice.Reporting;
using GitKsplice.Vm;

namespace GitKsplice.Updates;

/// <summary>An update to load in a trial: its id and the tarball holding its livepatch module.</summary>
public sealed record TrialInput(OpenedUpdate Update)
{
    public UpdateId Id => Update.Id;
}

/// <summary>What a trial loads into which kernel, and what it runs there.</summary>
public sealed record TrialRequest(IReadOnlyList<TrialInput> Updates, string Kernel, string SerialLog)
{
    /// <summary>Shell commands run in the guest before, while applied and after the undo; their outputs are compared.</summary>
    public IReadOnlyList<string> Checks { get; init; } = [];

    /// <summary>Modules of the running kernel (.ko files) loaded before the checks: the ones the updates patch.</summary>
    public IReadOnlyList<string> KernelModules { get; init; } = [];
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(120);
}

/// <summary>One update's module in the guest: loaded, how long until its transition completed, undone.</summary>
public sealed record TrialModule(UpdateId Id, string Name, bool Loaded, double? TransitionSeconds, bool Undone,
    IReadOnlyList<string> LoadOutput, IReadOnlyList<string> UndoOutput);

/// <summary>One run of a check: its exit status and output.</summary>
public sealed record CheckRun(int ExitCode, IReadOnlyList<string> Output);

/// <summary>A check's three runs; a run is null when the guest never got to it.</summary>
public sealed record TrialCheck(string Command, CheckRun? Before, CheckRun? Applied, CheckRun? After);

/// <summary>The outcome of a trial: every fact it established and, when it failed, why (one line each).</summary>
public sealed record TrialReport(
    string Kernel, string Release, IReadOnlyList<TrialModule> Modules, IReadOnlyList<TrialCheck> Checks,
    IReadOnlyList<string> KernelWarnings, string? TaintBefore, string? TaintAfter, IReadOnlyList<string> Failures,
    TimeSpan Elapsed, string SerialLog)
{
    public bool Passed => Failures.Count == 0;
    public TrialResult Result => Passed ? TrialResult.Passed : TrialResult.Failed;
}

/// <summary>How a trial went: every check held and nothing went wrong, or not.</summary>
public enum TrialResult { Passed, Failed }

/// <summary>The words of the trial results, stable on the wire (the note's ksplice-tried record, --json).</summary>
public static class TrialResults
{
    public static readonly WireTable<TrialResult> Words = new((TrialResult.Passed, "passed"), (TrialResult.Failed, "failed"));

    public static string Word(this TrialResult result) => Words[result];
}

/// <summary>
/// git ksplice try: the update's livepatch modules loaded, live, into the kernel they were built for, in a
/// throwaway QEMU guest: checks run before, while applied and after undo; the transition, the kernel's
/// warnings and taint and the undo are read back from the guest.
/// </summary>
public static class UpdateTrial
{
    // Loading any module built outside the kernel's tree (every livepatch module is) sets O; a livepatch sets K.
    // Any other new taint means the kernel saw something wrong (W a warning, D an oops, ...).
    private const string TaintLetters = "PFSRMBUDAWCIOELKXT";
    private const int TaintOutOfTree = 12, TaintLivepatch = 15;
    private static readonly string[] WarningSigns =
        ["WARNING:", "BUG:", "Oops", "general protection fault", "kernel BUG at", "Kernel panic", "Call Trace:", "RIP:"];

    public static TrialReport Run(TrialRequest request, Action<string> progress, CancellationToken cancel)
    {
        var image = KernelImage.Read(request.Kernel);
        var modules = request.Updates.Select(input => input.Update.Loadable).ToList();
        foreach (var (input, module) in request.Updates.Zip(modules))
            if (module.Release != image.Release)
                throw new UserError($"update {input.Id} is built for kernel {module.Release}, but {image.Path} is {image.Release}: name the running kernel's image with --kernel");
        var kernelModules = request.KernelModules.Select(path => KernelModuleOf(path, image)).ToList();
        var busybox = VmTools.StaticBusybox();
        VmTools.Qemu();

        var scratch = Directory.CreateTempSubdirectory("ksplice-try-");
        try
        {
            var initramfs = Path.Combine(scratch.FullName, "initramfs.cpio.gz");
            var limit = (int)Math.Max(5, request.Timeout.TotalSeconds / 3);
            Initramfs.Write(initramfs, busybox, Script(modules, request.Checks, limit, kernelModules),
                modules.Concat(kernelModules).Select(m => new GuestFile(GuestPath(m), m.Bytes)));
            var transcript = new GuestTranscript();
            progress("booting the kernel");
            var vm = QemuMachine.Run(new VmRequest(image.Path, initramfs, request.SerialLog, request.Timeout), line =>
            {
                if (transcript.Add(line) is { } step) progress(Describe(step, modules));
            }, cancel);
            return Report(request, image, vm, transcript, modules, kernelModules);
        }
        finally
        {
            scratch.Delete(recursive: true);
        }
    }

    /// <summary>A module of the running kernel: an ordinary module built for the image's release.</summary>
    private static KernelModule KernelModuleOf(string path, KernelImage image)
    {
        if (!File.Exists(path)) throw new UserError($"no such kernel module: {path}");
        var module = KernelModule.Read(File.ReadAllBytes(path), path);
        if (module.Livepatch)
            throw new UserError($"{path} is a livepatch module: name the update it belongs to instead");
        if (module.Release != image.Release)
            throw new UserError($"kernel module {path} is built for kernel {module.Release}, but {image.Path} is {image.Release}: give the running kernel's own modules");
        return module;
    }

    private static string GuestPath(KernelModule module) => module.Livepatch ? $"/ksplice/{module.Name}.ko" : $"/modules/{module.Name}.ko";

    /// <summary>
    /// The guest's steps: taint and checks before; each module loaded and its transition awaited (stopping at
    /// the first that fails); the checks while applied; every loaded module undone in reverse order; the
    /// checks after; taint and the kernel's messages since boot.
    /// </summary>
    internal static string Script(IReadOnlyList<KernelModule> modules, IReadOnlyList<string> checks, int transitionLimit,
        IReadOnlyList<KernelModule> kernelModules)
    {
        var s = new GuestScript();
        s.Line("kmsg() { dmesg -c | tee -a /tmp/kernel.log; }");
        s.Line("""
            wait_transition() {
                tries=0
                while [ "$(cat "/sys/kernel/livepatch/$1/transition" 2>/dev/null)" = 1 ]; do
                    tries=$((tries + 1))
                    if [ $tries -gt $(($2 * 20)) ]; then
                        echo "the transition of $1 did not complete in $2 s; tasks not yet switched:"
                        for p in /proc/[0-9]*; do
                            [ "$(cat $p/patch_state 2>/dev/null)" = "$3" ] || echo "  ${p#/proc/} $(cat $p/comm 2>/dev/null)"
                        done
                        return 1
                    fi
                    sleep 0.05
                done
            }
            """);
        // Module names are what the kernel allows (KernelModule.Read checks them), and quoted all the same: no name
        // from a tarball is ever a shell word.
        for (var i = 0; i < kernelModules.Count; i++) s.Line(GuestScript.Step($"kernel-module-{i}", $"insmod {GuestScript.Quote(GuestPath(kernelModules[i]))}"));
        s.Line("dmesg -c >/dev/null");
        s.Line(GuestScript.Step("taint-before", "cat /proc/sys/kernel/tainted"));
        for (var i = 0; i < checks.Count; i++) s.Line(GuestScript.Step($"before-{i}", checks[i]));
        s.Line("ok=1");
        for (var i = 0; i < modules.Count; i++)
        {
            var module = $"m={GuestScript.Quote(modules[i].Name)}; sys=/sys/kernel/livepatch/$m; ";
            s.Line($"[ $ok = 1 ] && {{ {GuestScript.Step($"load-{i}", module +
                $"insmod {GuestScript.Quote(GuestPath(modules[i]))}; s=$?; kmsg; [ $s = 0 ] || exit $s; " +
                "[ -d \"/sys/module/$m\" ] || { echo \"insmod succeeded, but $m is not loaded\"; exit 1; }")} || ok=0; }}");
            s.Line($"[ $ok = 1 ] && {{ {GuestScript.Step($"transition-{i}", module +
                "[ -d \"$sys\" ] || { echo \"no $sys: not a livepatch module\"; exit 1; }; " +
                $"wait_transition \"$m\" {transitionLimit} 1 || exit 1; " +
                "[ \"$(cat \"$sys/enabled\")\" = 1 ] || { echo 'the patch is not enabled'; kmsg; exit 1; }")} || ok=0; }}");
        }
        s.Line("applied=$ok");
        for (var i = 0; i < checks.Count; i++) s.Line($"[ $applied = 1 ] && {GuestScript.Step($"applied-{i}", checks[i])}");
        for (var i = modules.Count - 1; i >= 0; i--)
            s.Line($"[ -d /sys/module/{GuestScript.Quote(modules[i].Name)} ] && {GuestScript.Step($"undo-{i}",
                $"m={GuestScript.Quote(modules[i].Name)}; sys=/sys/kernel/livepatch/$m; " +
                "if [ \"$(cat \"$sys/enabled\" 2>/dev/null)\" = 1 ]; then echo 0 > \"$sys/enabled\" || exit 1; fi; " +
                $"wait_transition \"$m\" {transitionLimit} 0 || exit 1; rmmod \"$m\"; s=$?; kmsg; exit $s")}");
        for (var i = 0; i < checks.Count; i++) s.Line(GuestScript.Step($"after-{i}", checks[i]));
        s.Line(GuestScript.Step("taint-after", "cat /proc/sys/kernel/tainted"));
        s.Line(GuestScript.Step("kernel-log", "kmsg >/dev/null; cat /tmp/kernel.log"));
        return s.Render();
    }

    private static string Describe(string step, IReadOnlyList<KernelModule> modules)
    {
        var dash = step.LastIndexOf('-');
        var kind = dash < 0 ? step : step[..dash];
        var name = dash >= 0 && int.TryParse(step[(dash + 1)..], out var i) && i < modules.Count ? modules[i].Name : "";
        return kind switch
        {
            "kernel-module" => "booted; loading the kernel's modules",
            "taint-before" => "booted; reading the kernel's state",
            "before" => "running the checks before loading",
            "load" => $"loading {name}",
            "transition" => $"waiting for the transition of {name}",
            "applied" => "running the checks while applied",
            "undo" => $"undoing {name}",
            "after" => "running the checks after the undo",
            _ => "reading the kernel's messages",
        };
    }

    private static TrialReport Report(TrialRequest request, KernelImage image, VmResult vm, GuestTranscript transcript,
        IReadOnlyList<KernelModule> modules, IReadOnlyList<KernelModule> kernelModules)
    {
        var failures = new List<string>();
        for (var i = 0; i < kernelModules.Count; i++)
            if (transcript.Find($"kernel-module-{i}") is { Succeeded: false } step)
                failures.Add($"kernel module {kernelModules[i].Name} did not load: {LastLine(step.Output, "insmod failed")}");
        if (!transcript.Completed)
        {
            var where = transcript.Unfinished is { } step ? $" while {Describe(step, modules)}" : transcript.Steps.Count == 0 ? " before its first step (did the kernel boot?)" : "";
            failures.Add(vm.TimedOut
                ? $"the guest did not finish in {request.Timeout.TotalSeconds:0} s{where}"
                : $"the guest stopped{where} (QEMU exit code {vm.ExitCode})");
        }

        var trialModules = new List<TrialModule>();
        for (var i = 0; i < modules.Count; i++)
        {
            var (id, name) = (request.Updates[i].Id, modules[i].Name);
            var load = transcript.Find($"load-{i}");
            var transition = transcript.Find($"transition-{i}");
            var undo = transcript.Find($"undo-{i}");
            var loaded = load?.Succeeded == true;
            var switched = loaded && transition?.Succeeded == true;
            if (load == null) { if (transcript.Completed) failures.Add($"{name} was not loaded: an update before it failed"); }
            else if (!loaded) failures.Add($"{name} did not load: {LastLine(load.Output, "insmod failed")}");
            else if (transition == null) { }
            else if (!transition.Succeeded) failures.Add($"{name}: {LastLine(transition.Output.Take(1).ToList(), "the transition did not complete")}");
            if (loaded && undo?.Succeeded != true && transcript.Completed)
                failures.Add($"{name} was not undone: {LastLine(undo?.Output ?? [], "its undo did not run")}");
            trialModules.Add(new TrialModule(id, name, loaded,
                switched ? Math.Round(transition!.Ended - load!.Started, 2) : null,
                undo?.Succeeded == true, load?.Output ?? [], undo?.Output ?? []));
        }

        var checks = new List<TrialCheck>();
        for (var i = 0; i < request.Checks.Count; i++)
        {
            CheckRun? Run(string phase) => transcript.Find($"{phase}-{i}") is { } s ? new CheckRun(s.ExitCode, s.Output) : null;
            var check = new TrialCheck(request.Checks[i], Run("before"), Run("applied"), Run("after"));
            if (check.Applied is { ExitCode: not 0 } applied)
                failures.Add($"check '{check.Command}' exited with {applied.ExitCode} while the update was applied");
            checks.Add(check);
        }

        var warnings = (transcript.Find("kernel-log")?.Output ?? [])
            .Where(l => WarningSigns.Any(sign => l.Contains(sign, StringComparison.Ordinal))).ToList();
        failures.AddRange(warnings.Take(3).Select(w => "kernel: " + w.Trim()));
        var taintBefore = transcript.Find("taint-before")?.Output.FirstOrDefault()?.Trim();
        var taintAfter = transcript.Find("taint-after")?.Output.FirstOrDefault()?.Trim();
        if (ulong.TryParse(taintBefore, out var before) && ulong.TryParse(taintAfter, out var after))
        {
            var unexpected = after & ~before & ~((1UL << TaintLivepatch) | (1UL << TaintOutOfTree));
            if (unexpected != 0) failures.Add($"the kernel is tainted: {TaintFlags(unexpected)} (/proc/sys/kernel/tainted {after})");
        }
        return new TrialReport(image.Path, image.Release, trialModules, checks, warnings,
            taintBefore, taintAfter, failures, vm.Elapsed, request.SerialLog);
    }

    /// <summary>The kernel's letters for a taint mask (as in "Tainted: G W"), for the flags it knows.</summary>
    public static string TaintFlags(ulong mask) =>
        string.Concat(Enumerable.Range(0, TaintLetters.Length).Where(bit => (mask & (1UL << bit)) != 0).Select(bit => TaintLetters[bit]))
        + ((mask >> TaintLetters.Length) != 0 ? $" (bits 0x{mask >> TaintLetters.Length << TaintLetters.Length:x})" : "");

    private static string LastLine(IReadOnlyList<string> output, string fallback) =>
        output.LastOrDefault(l => l.Trim().Length > 0)?.Trim() ?? fallback;
}
