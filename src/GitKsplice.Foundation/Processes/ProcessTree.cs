using System.Diagnostics;
using System.Runtime.InteropServices;

namespace GitKsplice.Processes;

/// <summary>
/// Stops programs with everything they started. SIGTERM first, to the whole tree at once: git removes its lock
/// files and make deletes the half-written target it was making, so a killed build leaves no stale object that
/// a later make would take as up to date. What still runs after <see cref="Grace"/> gets SIGKILL.
/// </summary>
internal static partial class ProcessTree
{
    /// <summary>Short enough that a command still stops within a second of SIGTERM or ^C.</summary>
    private static readonly TimeSpan Grace = TimeSpan.FromMilliseconds(300);
    private const int SigKill = 9, SigTerm = 15;

    public static void Stop(IReadOnlyCollection<Process> programs)
    {
        // The tree is read before anything is signalled: a parent that exits first would orphan its children.
        var pids = Descendants(programs.Select(Id).Where(id => id > 0).ToHashSet());
        foreach (var pid in pids) _ = Kill(pid, SigTerm);
        var deadline = Stopwatch.StartNew();
        while (pids.Any(Running) && deadline.Elapsed < Grace) Thread.Sleep(10);
        foreach (var pid in pids.Where(Running)) _ = Kill(pid, SigKill);
        foreach (var p in programs)
        {
            try { p.Kill(entireProcessTree: true); } // anything started after the tree was read
            catch (InvalidOperationException) { } // already gone
            catch (System.ComponentModel.Win32Exception) { }
        }
    }

    private static int Id(Process p)
    {
        try { return p.HasExited ? 0 : p.Id; }
        catch (InvalidOperationException) { return 0; }
    }

    /// <summary>The given processes and all their descendants, from /proc.</summary>
    private static List<int> Descendants(HashSet<int> roots)
    {
        var children = new Dictionary<int, List<int>>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            if (Stat(pid) is not { } stat) continue;
            // "pid (name) S ppid …": the name may hold spaces or ')'.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            if (fields.Length > 1 && int.TryParse(fields[1], out var parent))
                (children.TryGetValue(parent, out var list) ? list : children[parent] = []).Add(pid);
        }
        var all = new List<int>();
        var queue = new Queue<int>(roots);
        while (queue.TryDequeue(out var pid))
        {
            all.Add(pid);
            foreach (var child in children.GetValueOrDefault(pid) ?? []) queue.Enqueue(child);
        }
        return all;
    }

    /// <summary>Alive and not a zombie waiting to be reaped.</summary>
    private static bool Running(int pid) =>
        Stat(pid) is { } stat && stat.LastIndexOf(')') is var close and > 0 && close + 2 < stat.Length && stat[close + 2] != 'Z';

    private static string? Stat(int pid)
    {
        try { return File.ReadAllText($"/proc/{pid}/stat"); }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
