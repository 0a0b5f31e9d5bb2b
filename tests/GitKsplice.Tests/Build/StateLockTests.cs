using GitKsplice.Tests.Support;

namespace GitKsplice.Tests.Build;

/// <summary>The state directory on a read-only file system: every command says so at once, none waits or claims a build runs.</summary>
public class StateLockTests
{
    /// <summary>Runs `git ksplice ARGS` with .git/ksplice mounted read-only (a private mount namespace: nothing else sees it).</summary>
    private static RunResult ReadOnlyState(TestRepo repo, params string[] args)
    {
        var script = "mount --bind .git/ksplice .git/ksplice && mount -o remount,ro,bind .git/ksplice .git/ksplice && " +
            "touch .git/ksplice/probe 2>/dev/null && { echo 'the state dir is still writable' >&2; exit 99; }; exec git ksplice \"$@\"";
        return ProcessRunner.Run(repo.Root, "unshare", ["-r", "-m", "sh", "-c", script, "sh", .. args]);
    }

    [RequiresFact(Tool.Gcc, Tool.Make, Tool.Unshare)]
    public void A_lock_on_a_read_only_file_system_is_an_error_naming_the_path_and_the_reason()
    {
        using var repo = CTree.Create();
        repo.Write("greet.c", CTree.Greet.Replace("return printf(\"hello", "return 2 * printf(\"hello") + "\n");
        var commit = repo.Commit("change");
        var first = repo.Ksplice("create", "--id", "rw1", commit);
        Assert.True(first.ExitCode == 0, first.All);
        repo.Write("greet.c", CTree.Greet.Replace("return printf(\"hello", "return 3 * printf(\"hello") + "\n");
        var next = repo.Commit("again");
        var lockPath = repo.Path(".git/ksplice/build.lock");

        var create = ReadOnlyState(repo, "create", "--id", "ro1", next);

        Assert.Equal(1, create.ExitCode);
        Assert.Contains($"fatal: cannot open the lock {lockPath}: read-only file system", create.StdErr);
        Assert.DoesNotContain("waiting", create.StdErr);

        var gc = ReadOnlyState(repo, "gc", "--dry-run");
        Assert.Equal(1, gc.ExitCode);
        Assert.Contains($"fatal: cannot open the lock {lockPath}: read-only file system", gc.StdErr);
        Assert.DoesNotContain("a build is running", gc.All);

        var status = ReadOnlyState(repo, "status");
        Assert.True(status.ExitCode == 0, status.All);
        Assert.Contains("running:   no job", status.StdOut);
    }
}
