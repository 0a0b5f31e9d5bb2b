using GitKsplice.Git;
using GitKsplice.Json;
using GitKsplice.Reporting;

namespace GitKsplice.Hooks;

/// <summary>How one hook stands in the hooks directory.</summary>
public enum HookFileState
{
    /// <summary>No hook of that name.</summary>
    Absent,
    /// <summary>Ours, alone.</summary>
    Installed,
    /// <summary>Ours, running the hook that was there before (kept as &lt;name&gt;.ksplice-chained).</summary>
    InstalledChained,
    /// <summary>Someone else's hook; install would chain it.</summary>
    Foreign,
    /// <summary>Someone else's hook while a chained original is also there: left for the user to sort out.</summary>
    Conflict,
}

/// <summary>The words of the hook states, stable on the wire (--json of hooks status and status).</summary>
public static class HookFileStates
{
    public static readonly WireTable<HookFileState> Words = new(
        (HookFileState.Absent, "absent"), (HookFileState.Installed, "installed"), (HookFileState.InstalledChained, "installed-chained"),
        (HookFileState.Foreign, "foreign"), (HookFileState.Conflict, "conflict"));
}

public sealed record HookFileStatus(string Name, string Path, HookFileState State);

/// <summary>
/// Installs the hook script into the hooks directory git really runs (core.hooksPath when set, else the
/// common git dir's hooks/, shared by every worktree), chaining any hook already there; uninstall puts the
/// original back by renaming it, so it returns byte for byte with its mode (and as the same symlink, if it was one).
/// </summary>
public sealed class HookInstaller(KspliceRepository repository)
{
    public string HooksDir { get; } = ResolveHooksDir(repository);

    private static string ResolveHooksDir(KspliceRepository repository)
    {
        if (repository.WorkDir == null)
            throw new UserError("this is a bare repository: nobody commits in it, so there is nothing for the hooks to check");
        // git runs hooks from the top of the working tree, so a relative core.hooksPath is relative to it.
        var path = repository.Git.Run("rev-parse", "--git-path", "hooks").Trim();
        return Path.GetFullPath(path, repository.WorkDir);
    }

    public IReadOnlyList<HookFileStatus> Status() => HookScript.Names.Select(StatusOf).ToList();

    private HookFileStatus StatusOf(string name)
    {
        var path = Path.Combine(HooksDir, name);
        var chained = Exists(path + HookScript.ChainedSuffix);
        HookFileState state;
        if (!Exists(path)) state = HookFileState.Absent;
        else if (IsOurs(path)) state = chained ? HookFileState.InstalledChained : HookFileState.Installed;
        else state = chained ? HookFileState.Conflict : HookFileState.Foreign;
        return new HookFileStatus(name, path, state);
    }

    /// <summary>Installs every hook; a hook already ours is refreshed in place. Returns what each hook is now.</summary>
    public IReadOnlyList<HookFileStatus> Install()
    {
        var current = Status();
        if (current.FirstOrDefault(h => h.State == HookFileState.Conflict) is { } conflict)
            throw new UserError($"{conflict.Path} is not git-ksplice's hook, yet {conflict.Name}{HookScript.ChainedSuffix} " +
                "(a hook saved by an earlier install) is beside it; move one of them away first");
        Directory.CreateDirectory(HooksDir);
        foreach (var hook in current)
        {
            if (hook.State == HookFileState.Foreign)
                File.Move(hook.Path, hook.Path + HookScript.ChainedSuffix);
            try { WriteScript(hook.Path); }
            catch when (hook.State == HookFileState.Foreign)
            {
                File.Move(hook.Path + HookScript.ChainedSuffix, hook.Path);
                throw;
            }
        }
        return Status();
    }

    /// <summary>Removes our hooks and puts chained originals back. Hooks that are not ours are left alone.</summary>
    public IReadOnlyList<(HookFileStatus Before, string Outcome)> Uninstall()
    {
        var done = new List<(HookFileStatus, string)>();
        foreach (var hook in Status())
        {
            switch (hook.State)
            {
                case HookFileState.InstalledChained:
                    File.Move(hook.Path + HookScript.ChainedSuffix, hook.Path, overwrite: true);
                    done.Add((hook, "restored the original hook"));
                    break;
                case HookFileState.Installed:
                    File.Delete(hook.Path);
                    done.Add((hook, "removed"));
                    break;
                case HookFileState.Foreign:
                    done.Add((hook, "not git-ksplice's hook; left alone"));
                    break;
                case HookFileState.Conflict:
                    done.Add((hook, $"not git-ksplice's hook; left alone, and so is {hook.Name}{HookScript.ChainedSuffix}"));
                    break;
            }
        }
        return done;
    }

    private static void WriteScript(string path)
    {
        if (File.Exists(path) && File.ReadAllText(path) == HookScript.Text) return;
        AtomicFile.WriteAllText(path, HookScript.Text);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, (UnixFileMode)Convert.ToInt32("755", 8));
    }

    private static bool IsOurs(string path)
    {
        try { return File.Exists(path) && HookScript.IsOurs(File.ReadAllText(path)); }
        catch (IOException) { return false; }
        catch (UnauthorizedAccessException) { return false; }
    }

    /// <summary>A file or a symlink (even a dangling one) is there.</summary>
    private static bool Exists(string path) => File.Exists(path) || new FileInfo(path).LinkTarget != null;
}
