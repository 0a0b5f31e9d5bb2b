using System.Diagnostics;

namespace GitKsplice.Hooks;

/// <summary>
/// Build commands a killed job leaves behind. Killing the job (even with SIGKILL) does not stop the make it
/// started, and a second make in the same build tree would corrupt it. A job records its process group; the
/// next job stops the members of that group still working in our build trees — and only those, so a reused
/// group id can never hit another program. Linux only (/proc), like the kernels this tool patches.
/// </summary>
public static class LeftoverProcesses
{
    /// <summary>This process's group id, or 0 where /proc is not there.</summary>
    public static int OwnProcessGroup() => ReadGroup(Environment.ProcessId) ?? 0;

    /// <summary>Kills the processes of <paramref name="group"/> whose working directory is under <paramref name="stateDir"/>.</summary>
    public static int Kill(int group, string stateDir)
    {
        if (group <= 0 || !Directory.Exists("/proc")) return 0;
        var prefix = Path.TrimEndingDirectorySeparator(stateDir) + "/";
        var killed = 0;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid) || pid == Environment.ProcessId) continue;
            if (ReadGroup(pid) != group) continue;
            string? cwd;
            try { cwd = new DirectoryInfo(Path.Combine(dir, "cwd")).LinkTarget; }
            catch (IOException) { continue; }
            catch (UnauthorizedAccessException) { continue; }
            if (cwd == null || !(cwd + "/").StartsWith(prefix, StringComparison.Ordinal)) continue;
            try
            {
                using var process = Process.GetProcessById(pid);
                process.Kill(entireProcessTree: true);
                killed++;
            }
            catch (ArgumentException) { } // gone meanwhile
            catch (InvalidOperationException) { }
            catch (System.ComponentModel.Win32Exception) { }
        }
        return killed;
    }

    /// <summary>The process group from /proc/PID/stat (after the command name, which may hold spaces and parentheses).</summary>
    private static int? ReadGroup(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return int.Parse(fields[2]);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException or ArgumentOutOfRangeException)
        {
            return null;
        }
    }
}
