using System.Diagnostics;
using System.Text.Json;
using GitKsplice.Tests.Support;
using GitKsplice.Updates;

namespace GitKsplice.Tests.Updates;

/// <summary>
/// An update is recorded whole or not at all, and what is already there is never lost: ids checked before a
/// build, a broken notes ref named before a build, a lost pre ref never silently recreated, a kill between
/// the tarball's rename and the ref transaction taken back by the next command.
/// </summary>
public class RecordingTests
{
    private static string ChangeGreet(TestRepo repo, string to = "+ 1", string message = "fix greeting")
    {
        repo.Write("greet.c", CTree.Greet.Replace("return printf(\"hello, %s\\n\", name);", $"return printf(\"hello, %s\\n\", name) {to};") + "\n");
        return repo.Commit(message);
    }

    private static bool RefExists(TestRepo repo, string name) => repo.TryGit("rev-parse", "--verify", "-q", name).ExitCode == 0;

    [RequiresFact(Tool.Gcc, Tool.Make)]
    public void A_create_refused_for_an_id_in_use_keeps_the_shipped_tarball_and_builds_nothing()
    {
        using var repo = CTree.Create();
        var commit = ChangeGreet(repo);
        Assert.Equal(0, repo.Ksplice("create", "--id", "v1", commit).ExitCode);
        var shipped = File.ReadAllBytes(repo.Path("ksplice-v1.tar.gz"));
        repo.Write("other.patch", """
            --- a/data.c
            +++ b/data.c
            @@ -4,4 +4,4 @@
             int bump(void)
             {
            -	return ++counter;
            +	return counter += 3;
             }
            """ + "\n");
        var postLog = repo.Path(".git/ksplice/logs/post-v1.log");
        var logBefore = File.ReadAllText(postLog);

        var r = repo.Ksplice("create", "--patch", "other.patch", "--id", "v1");

        Assert.Equal(1, r.ExitCode);
        Assert.Contains("fatal: update id 'v1' is already used by another update", r.StdErr);
        Assert.DoesNotContain("building the update's post state", r.StdErr);
        Assert.Equal(shipped, File.ReadAllBytes(repo.Path("ksplice-v1.tar.gz")));
        Assert.Equal(logBefore, File.ReadAllText(postLog));
        Assert.Equal(commit, repo.Git("rev-parse", "refs/ksplice/updates/v1"));
    }

    [Fact]
    public void A_tarball_no_recorded_update_explains_is_not_overwritten()
    {
        using var repo = CTree.Create();
        var commit = ChangeGreet(repo);
        repo.Write("ksplice-mine.tar.gz", "not ours\n");

        var r = repo.Ksplice("create", "--id", "mine", commit);

        Assert.Equal(1, r.ExitCode);
        Assert.Contains($"fatal: {repo.Path("ksplice-mine.tar.gz")} already exists, and no update 'mine' is recorded", r.StdErr);
        Assert.Equal("not ours\n", repo.Read("ksplice-mine.tar.gz"));
        Assert.False(RefExists(repo, "refs/ksplice/updates/mine"));
    }

    [Theory]
    [InlineData("create", "--id", "bad/id", "HEAD")]
    [InlineData("create", "--id", "", "HEAD")]
    [InlineData("show", "../x")]
    [InlineData("series", "advance", "a b")]
    public void A_bad_update_id_is_a_usage_error(params string[] args)
    {
        using var repo = CTree.Create();

        var r = repo.Ksplice(args);

        Assert.True(r.ExitCode == 129, r.All);
        Assert.Contains("bad update id", r.StdErr);
    }

    [RequiresFact(Tool.Gcc, Tool.Make)]
    public void A_notes_ref_that_is_not_a_commit_is_named_before_any_build_and_readers_warn()
    {
        using var repo = CTree.Create();
        var first = ChangeGreet(repo);
        Assert.Equal(0, repo.Ksplice("create", "--id", "ok1", first).ExitCode);
        repo.Git("update-ref", "refs/notes/ksplice", repo.Git("rev-parse", "HEAD:greet.c"));
        var second = ChangeGreet(repo, "+ 2", "again");

        var r = repo.Ksplice("create", "--id", "notes1", second);

        Assert.Equal(1, r.ExitCode);
        Assert.Contains("fatal: refs/notes/ksplice points at a blob", r.StdErr);
        Assert.Contains("git update-ref -d refs/notes/ksplice", r.StdErr);
        Assert.DoesNotContain("building", r.StdErr);
        Assert.False(File.Exists(repo.Path("ksplice-notes1.tar.gz")));
        Assert.False(RefExists(repo, "refs/ksplice/updates/notes1"));
        foreach (var read in new[] { new[] { "list" }, ["show", "ok1"], ["series"] })
        {
            var listed = repo.Ksplice(read);
            Assert.Contains("warning: refs/notes/ksplice points at a blob", listed.StdErr);
        }
    }

    [RequiresFact(Tool.Gcc, Tool.Make)]
    public void A_pre_ref_lost_mid_series_is_named_with_the_post_commit_of_the_last_series_update()
    {
        using var repo = CTree.Create();
        var first = ChangeGreet(repo);
        Assert.Equal(0, repo.Ksplice("create", "--series", "--id", "s1", first).ExitCode);
        repo.Write("data.c", CTree.Data.Replace("return ++counter;", "return counter += 2;") + "\n");
        var second = repo.Commit("bump by two");
        Assert.Equal(0, repo.Ksplice("create", "--series", "--id", "s2", second).ExitCode);
        repo.Git("update-ref", "-d", "refs/ksplice/pre");
        var third = ChangeGreet(repo, "+ 3", "third");

        var r = repo.Ksplice("create", "--id", "s3", third);

        Assert.Equal(1, r.ExitCode);
        Assert.Contains("fatal: refs/ksplice/pre is missing", r.StdErr);
        Assert.Contains($"the last --series update, 's2', moved it to its post commit {second}", r.StdErr);
        Assert.Contains($"git ksplice series set {second}", r.StdErr);
        Assert.False(RefExists(repo, "refs/ksplice/pre"));
        Assert.False(File.Exists(repo.Path("ksplice-s3.tar.gz")));
    }

    /// <summary>
    /// Runs create with a reference-transaction hook that stops git in the given state of the transaction
    /// recording the update, kills create there, lets git go on, and returns once git has let go of the refs.
    /// </summary>
    private static void KillCreateWhileRecording(TestRepo repo, string state, string id, string commit)
    {
        var reached = repo.Path(".git/hook-reached");
        var release = repo.Path(".git/hook-release");
        repo.Write(".git/hooks/reference-transaction", $"""
            #!/bin/sh
            [ "$1" = {state} ] || exit 0
            grep -q refs/ksplice/updates/ || exit 0
            touch '{reached}'
            while [ ! -e '{release}' ]; do sleep 0.05; done
            """ + "\n");
        File.SetUnixFileMode(repo.Path(".git/hooks/reference-transaction"), (UnixFileMode)0b111_101_101);

        var psi = ProcessRunner.ToolWithDefaultSignals("git-ksplice", ["create", "--id", id, commit]);
        psi.WorkingDirectory = repo.Root;
        psi.RedirectStandardError = true;
        using var create = Process.Start(psi)!;
        var stderr = create.StandardError.ReadToEndAsync();
        HangGuard.Until(() => File.Exists(reached) || create.HasExited, "the transaction reaching the hook");
        Assert.True(File.Exists(reached), "the transaction never reached the hook: " + (create.HasExited ? stderr.GetAwaiter().GetResult() : ""));

        // In the window: the tarball is complete and in place.
        Assert.True(File.Exists(repo.Path($"ksplice-{id}.tar.gz")));
        create.Kill();
        create.WaitForExit();
        File.WriteAllText(release, "");
        // git aborts (or, past prepare, has committed) once its input is gone: wait until it lets go of its locks.
        HangGuard.Until(() => !Directory.EnumerateFiles(repo.Path(".git/refs"), "*.lock", SearchOption.AllDirectories).Any(), "git letting go of its locks");
        File.Delete(repo.Path(".git/hooks/reference-transaction"));
    }

    [RequiresFact(Tool.Gcc, Tool.Make)]
    public void A_kill_between_the_tarballs_rename_and_the_ref_transaction_leaves_no_unrecorded_tarball()
    {
        using var repo = CTree.Create();
        var commit = ChangeGreet(repo);

        KillCreateWhileRecording(repo, "prepared", "win01", commit);

        Assert.False(RefExists(repo, "refs/ksplice/updates/win01"));
        var list = repo.Ksplice("list", "--json");
        Assert.True(list.ExitCode == 0, list.All);
        Assert.Contains($"removed {repo.Path("ksplice-win01.tar.gz")}: the create that wrote it was interrupted", list.StdErr);
        Assert.False(File.Exists(repo.Path("ksplice-win01.tar.gz")));
        Assert.Empty(JsonDocument.Parse(list.StdOut).RootElement.EnumerateArray());
        Assert.False(File.Exists(repo.Path(".git/ksplice/updates/win01/manifest.json")));
        Assert.Empty(Directory.EnumerateFiles(repo.Path(".git/ksplice/pending")));
        // The same create then runs as if nothing had happened.
        var again = repo.Ksplice("create", "--id", "win01", commit);
        Assert.True(again.ExitCode == 0, again.All);
        Assert.True(File.Exists(repo.Path("ksplice-win01.tar.gz")));
    }

    [RequiresFact(Tool.Gcc, Tool.Make)]
    public void A_kill_after_the_ref_transaction_leaves_a_complete_update()
    {
        using var repo = CTree.Create();
        var commit = ChangeGreet(repo);

        KillCreateWhileRecording(repo, "committed", "win02", commit);

        var show = repo.Ksplice("show", "--json", "win02");
        Assert.True(show.ExitCode == 0, show.All);
        Assert.DoesNotContain("removed", show.StdErr);
        using var doc = JsonDocument.Parse(show.StdOut);
        Assert.Equal("hot-patchable", doc.RootElement.GetProperty("verdict").GetString());
        Assert.Equal(["greet"], doc.RootElement.GetProperty("objects")[0].GetProperty("changed").EnumerateArray().Select(e => e.GetString()));
        Assert.True(File.Exists(repo.Path("ksplice-win02.tar.gz")));
        Assert.Equal("win02", UpdateArchive.ReadManifest(repo.Path("ksplice-win02.tar.gz")).Id.Value);
        Assert.Empty(Directory.EnumerateFiles(repo.Path(".git/ksplice/pending")));
    }
}
