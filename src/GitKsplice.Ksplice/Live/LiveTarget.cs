using System.Globalization;
using GitKsplice.Reporting;
using GitKsplice.Transport;

namespace GitKsplice.Live;

/// <summary>What a target said about itself before anything is done there.</summary>
public sealed record TargetFacts(int Uid, string Release, string Version, bool Livepatch);

/// <summary>A kallsyms line: address (0 where the kernel hides addresses), type, name and the module, if any.</summary>
public sealed record KallsymsEntry(ulong Address, char Type, string Name, string? Module);

/// <summary>A task that had not switched when a transition gave up, with its kernel stack when readable.</summary>
public sealed record BlockingTask(int Tid, string Command, IReadOnlyList<string> Stack);

/// <summary>The log of a load or undo job on the target, read back.</summary>
public sealed record JobLog(string? Result, double? Started, double? Switched, IReadOnlyList<BlockingTask> Blocking,
    IReadOnlyList<string> Output, bool StillRunning, int? BusyPid, bool Vanished = false)
{
    /// <summary>Seconds from the job's start to the end of its transition, as the target's clock measured them.</summary>
    public double? TransitionSeconds => Started is { } s && Switched is { } e ? Math.Round(e - s, 2) : null;

    public static JobLog Parse(string text)
    {
        string? result = null;
        double? started = null, switched = null;
        int? busy = null;
        var waiting = false;
        var vanished = false;
        var tasks = new List<(int Tid, string Comm, List<string> Stack)>();
        var output = new List<string>();
        foreach (var line in text.Split('\n'))
        {
            if (!line.StartsWith("@ ", StringComparison.Ordinal))
            {
                if (line.Length > 0) output.Add(line);
                continue;
            }
            var words = line[2..].Split(' ', 3);
            switch (words[0])
            {
                case "result" when words.Length > 1: result = words[1]; break;
                case "start" when words.Length > 1: started = Seconds(words[1]); break;
                case "switched" when words.Length > 1: switched = Seconds(words[1]); break;
                case "waiting": waiting = true; break;
                case "vanished": vanished = true; break;
                case "busy" when words.Length > 1 && int.TryParse(words[1], out var pid): busy = pid; break;
                case "blocked" when words.Length > 1 && int.TryParse(words[1], out var tid):
                    tasks.Add((tid, words.Length > 2 ? words[2] : "", []));
                    break;
                case "stack" when words.Length > 2 && int.TryParse(words[1], out var tid):
                    tasks.LastOrDefault(t => t.Tid == tid).Stack?.Add(words[2]);
                    break;
            }
        }
        return new JobLog(result, started, switched, tasks.Select(t => new BlockingTask(t.Tid, t.Comm, t.Stack)).ToList(), output,
            waiting, busy, vanished);
    }

    private static double? Seconds(string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var s) ? s : null;
}

/// <summary>One livepatch in /sys/kernel/livepatch: its state, functions and, for the ones we loaded, the sha256 of the module we copied.</summary>
public sealed record LoadedPatch(string Module, bool Enabled, bool InTransition, IReadOnlyList<LiveFunction> Functions, string? Sha256);

/// <summary>A patched function as sysfs names it: object ("vmlinux" or a module), name and sympos.</summary>
public sealed record LiveFunction(string Object, string Name, int Sympos);

/// <summary>Every livepatch on a target, and the last result of each of our jobs there.</summary>
public sealed record TargetView(string Release, bool Livepatch, IReadOnlyList<LoadedPatch> Patches, IReadOnlyDictionary<string, string> Jobs)
{
    public LoadedPatch? Find(string module) => Patches.FirstOrDefault(p => p.Module == module);

    public static TargetView Parse(string text)
    {
        var release = "";
        var livepatch = false;
        var patches = new List<(string Name, bool Enabled, bool Transition, List<LiveFunction> Functions)>();
        var sha = new Dictionary<string, string>(StringComparer.Ordinal);
        var jobs = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n'))
        {
            if (!line.StartsWith("@ ", StringComparison.Ordinal)) continue;
            var words = line[2..].Split(' ');
            switch (words)
            {
                case ["release", var r]: release = r; break;
                case ["livepatch", var yes]: livepatch = yes == "yes"; break;
                case ["patch", var name, var enabled, var transition]: patches.Add((name, enabled == "1", transition == "1", [])); break;
                case ["function", var name, var obj, var func]:
                    var comma = func.LastIndexOf(',');
                    var sympos = comma > 0 && int.TryParse(func[(comma + 1)..], out var p) ? p : 0;
                    patches.LastOrDefault(x => x.Name == name).Functions?.Add(new LiveFunction(obj, comma > 0 ? func[..comma] : func, sympos));
                    break;
                case ["sha256", var name, var hash]: sha[name] = hash; break;
                case ["job", var name, var result]: jobs[name] = result; break;
            }
        }
        return new TargetView(release, livepatch,
            patches.Select(p => new LoadedPatch(p.Name, p.Enabled, p.Transition, p.Functions, sha.GetValueOrDefault(p.Name))).ToList(), jobs);
    }
}

/// <summary>
/// A machine whose running kernel takes livepatches, over the shared transport (<see cref="KernelHost"/>): this
/// machine as root, or a host over ssh as root or through sudo -n. Each operation is one of
/// <see cref="LiveScripts"/>; the module and the job logs live in <see cref="LiveScripts.StateDirectory"/> there.
/// </summary>
public sealed class LiveTarget : IDisposable
{
    private readonly KernelHost _host;

    private LiveTarget(KernelHost host, TargetFacts facts)
    {
        _host = host;
        Facts = facts;
    }

    public TargetFacts Facts { get; }

    public string Display => _host.Display;

    public bool IsThisMachine => _host.Address.IsThisMachine;

    /// <summary>The directory on the target holding the modules it loaded for us and the jobs' logs.</summary>
    public static string StateDirectory => LiveScripts.StateDirectory;

    public static string ModulePath(string module) => $"{LiveScripts.StateDirectory}/{module}.ko";

    public static string LogPath(string module) => $"{LiveScripts.StateDirectory}/{module}.log";

    /// <summary>Reaches the target and reads what it runs; a host that cannot be reached is one line naming it and ssh's reason.</summary>
    public static LiveTarget Open(HostAddress address, IReadOnlyList<string> sshCommand, CancellationToken interrupt)
    {
        var host = KernelHost.Open(address, sshCommand, multiplex: !address.IsLocal, scriptName: "ksplice", interrupt: interrupt);
        try
        {
            var run = host.Run(LiveScripts.Probe, []);
            if (run.ConnectionLost)
                throw new UserError($"cannot reach {host.Display}: {LastLine(run.Output, "ssh could not connect")}");
            if (run.ExitCode != 0)
                throw new UserError($"cannot read the kernel of {host.Display}: {LastLine(run.Output, $"exit status {run.ExitCode}")}");
            var fields = run.Output.Split('\n').Where(l => l.StartsWith("@ ", StringComparison.Ordinal))
                .Select(l => l[2..].Split(' ', 2)).Where(kv => kv.Length == 2).ToDictionary(kv => kv[0], kv => kv[1], StringComparer.Ordinal);
            if (!fields.TryGetValue("uid", out var uid) || !int.TryParse(uid, out var uidNumber) || !fields.TryGetValue("release", out var release))
                throw new UserError($"cannot read the kernel of {host.Display}: unexpected answer '{LastLine(run.Output, "nothing")}'");
            return new LiveTarget(host, new TargetFacts(uidNumber, release, fields.GetValueOrDefault("version") ?? "", fields.GetValueOrDefault("livepatch") == "yes"));
        }
        catch
        {
            host.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Loading needs root: as root already, or (on a remote host with ksplice.remoteSudo) through sudo -n, which is
    /// tried here with the very command the steps run (/bin/sh, which a narrow sudoers rule may be limited to) so
    /// that the refusal names it rather than a later step. Says how root is had.
    /// </summary>
    public string RequireRoot(bool remoteSudo)
    {
        if (Facts.Uid == 0) return "root";
        if (IsThisMachine)
            throw new UserError($"loading a livepatch on this machine needs root: run git ksplice as root (uid {Facts.Uid} now), or name a host");
        if (!remoteSudo)
            throw new UserError($"not root on {Display} (uid {Facts.Uid}): log in as root, or set ksplice.remoteSudo to run the steps with sudo -n");
        _host.Sudo = true;
        var run = _host.Run(LiveScripts.Uid, []);
        var uid = Field(run.Output, "uid");
        if (run.ExitCode == 0 && uid == "0") return $"root through sudo -n (login uid {Facts.Uid})";
        _host.Sudo = false;
        if (run.ConnectionLost)
            throw new UserError($"cannot reach {Display}: {LastLine(run.Output, "ssh could not connect")}");
        if (run.ExitCode == 0)
            throw new UserError($"sudo -n on {Display} runs the steps as uid {uid}, not root: allow root for /bin/sh, or log in as root");
        throw new UserError($"sudo -n failed on {Display} (uid {Facts.Uid}): {LastLine(run.Output, "sudo needs a password")}; allow /bin/sh without a password, or log in as root");
    }

    /// <summary>A target without /sys/kernel/livepatch runs a kernel that cannot take any livepatch.</summary>
    public void RequireLivepatch()
    {
        if (!Facts.Livepatch)
            throw new UserError($"{Display} has no /sys/kernel/livepatch: its kernel ({Facts.Release}) was built without CONFIG_LIVEPATCH");
    }

    /// <summary>The target's kallsyms entries for <paramref name="names"/>.</summary>
    public IReadOnlyList<KallsymsEntry> Symbols(IReadOnlyCollection<string> names)
    {
        var output = _host.RunStep("reading /proc/kallsyms", LiveScripts.Symbols, [.. names]);
        var entries = new List<KallsymsEntry>();
        foreach (var line in output.Split('\n'))
        {
            if (!line.StartsWith("@ symbol ", StringComparison.Ordinal)) continue;
            var words = line["@ symbol ".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (words.Length < 3 || words[1].Length != 1 || !ulong.TryParse(words[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var address)) continue;
            entries.Add(new KallsymsEntry(address, words[1][0], words[2], words.Length > 3 ? words[3].Trim('[', ']') : null));
        }
        return entries;
    }

    /// <summary>Copies a module into the state directory, checked against its sha256 on the target.</summary>
    public void Copy(string module, byte[] bytes, string sha256)
    {
        var run = _host.Run(LiveScripts.Copy, [LiveScripts.StateDirectory, module, sha256], input: s => s.Write(bytes));
        if (run.ExitCode == 3)
            throw new UserError($"the module arrived damaged on {Display}: its sha256 there is {Field(run.Output, "sha256")}, not {sha256}; nothing was loaded");
        if (run.ExitCode != 0)
            throw new HostStepFailed("copying the module", Display, run.ConnectionLost ? "the connection was lost or refused" : $"exit status {run.ExitCode}", run.Output);
    }

    /// <summary>Loads a copied module in a job immune to hangups and waits for its transition (<paramref name="limit"/>); the job reverses it if it does not complete.</summary>
    public JobLog Load(string module, TimeSpan limit) => Job(module, LiveScripts.LoadJob, limit);

    /// <summary>Disables, waits for the transition and unloads, in a job as the load.</summary>
    public JobLog Undo(string module, TimeSpan limit) => Job(module, LiveScripts.UndoJob, limit);

    private JobLog Job(string module, string job, TimeSpan limit)
    {
        var seconds = ((int)Math.Ceiling(limit.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        // Two transitions (forward and back) and the module's load or unload.
        var wait = ((int)Math.Ceiling(limit.TotalSeconds) * 2 + 30).ToString(CultureInfo.InvariantCulture);
        var run = _host.Run(LiveScripts.RunJob, [LiveScripts.StateDirectory, LogPath(module), job, wait, ModulePath(module), module, seconds]);
        var log = JobLog.Parse(run.Output);
        if (run.ConnectionLost) return log with { Result = null, StillRunning = true };
        if (run.ExitCode != 0 && log.Result == null && log.BusyPid == null && !log.StillRunning && !log.Vanished)
            throw new HostStepFailed("starting the job", Display, $"exit status {run.ExitCode}", run.Output);
        return log;
    }

    /// <summary>Every livepatch on the target, read from /sys/kernel/livepatch.</summary>
    public TargetView View() => TargetView.Parse(_host.RunStep("reading /sys/kernel/livepatch", LiveScripts.View, [LiveScripts.StateDirectory]));

    public void Dispose() => _host.Dispose();

    private static string Field(string output, string key) =>
        output.Split('\n').FirstOrDefault(l => l.StartsWith($"@ {key} ", StringComparison.Ordinal))?[(key.Length + 3)..] ?? "unknown";

    internal static string LastLine(string output, string fallback) =>
        output.Split('\n').LastOrDefault(l => l.Trim().Length > 0 && !l.StartsWith("@ ", StringComparison.Ordinal))?.Trim() ?? fallback;
}
