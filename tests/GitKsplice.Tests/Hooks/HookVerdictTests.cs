using GitKsplice.Tests.Support;
using static GitKsplice.Tests.Hooks.HookTestSupport;

namespace GitKsplice.Tests.Hooks;

/// <summary>
/// The verdicts the hooks record on real commits of a real C tree, in sync mode (the job runs inside the
/// hook, so each verdict is there when the git command returns).
/// </summary>
[Trait(TestCategory.Name, TestCategory.EndToEnd)]
public class HookVerdictTests
{
    [Fact]
    public void A_safe_change_is_hot_patchable_with_its_changed_function_in_the_note_and_status()
    {
        using var repo = CTree.Create();
        InstallHooks(repo, "sync");

        var commit = SafeChange(repo);

        var note = NoteOf(repo, commit);
        Assert.StartsWith("ksplice-verdict: hot-patchable", note);
        Assert.Contains("changed: greet.o: greet", note);
        Assert.Contains($"pre: {repo.Git("rev-parse", "refs/ksplice/pre")}", note);
        using var status = Status(repo);
        var verdict = Assert.Single(status.RootElement.GetProperty("verdicts").EnumerateArray());
        Assert.Equal(commit, verdict.GetProperty("commit").GetString());
        Assert.Equal("hot-patchable", verdict.GetProperty("verdict").GetString());
        Assert.Equal("fix greeting", verdict.GetProperty("subject").GetString());
        var manifest = verdict.GetProperty("manifest").GetString()!;
        Assert.Equal(repo.Path($".git/ksplice/hook/{commit}/manifest.json"), manifest);
        Assert.Contains("\"greet\"", File.ReadAllText(manifest));
        Assert.True(File.Exists(repo.Path($".git/ksplice/hook/{commit}/log")));
        // A validation run writes no tarball and records no update.
        Assert.Empty(Directory.GetFiles(repo.Root, "ksplice-*.tar.gz"));
        Assert.Equal("", repo.Git("for-each-ref", "refs/ksplice/updates/"));
        Assert.Contains("hot-patchable", repo.Ksplice("status").StdOut);
    }

    [Fact]
    public void An_unsafe_data_change_is_recorded_with_its_findings()
    {
        using var repo = CTree.Create();
        InstallHooks(repo, "sync");
        repo.Write("data.c", CTree.Data.Replace("{ 1, 2, 3, 4 }", "{ 1, 2, 3, 5 }") + "\n");

        var commit = repo.Commit("raise the last limit");

        var note = NoteOf(repo, commit);
        Assert.StartsWith("ksplice-verdict: unsafe", note);
        Assert.Contains("unsafe: data.o: limits:", note);
    }

    [Fact]
    public void A_build_breaking_change_is_recorded_with_the_build_log()
    {
        using var repo = CTree.Create();
        InstallHooks(repo, "sync");
        repo.Write("greet.c", CTree.Greet.Replace("return printf", "return syntax error printf") + "\n");

        var commit = repo.Commit("break the build");

        var note = NoteOf(repo, commit);
        Assert.StartsWith("ksplice-verdict: build-failed", note);
        var log = note.Split('\n').Single(l => l.StartsWith("log: "))["log: ".Length..];
        Assert.Contains("error", File.ReadAllText(log));
        Assert.Contains("build-failed", repo.Ksplice("status").StdOut);
    }

    [Fact]
    public void A_comment_only_change_has_no_code_change()
    {
        using var repo = CTree.Create();
        InstallHooks(repo, "sync");
        repo.Write("greet.c", "/* a comment */\n" + CTree.Greet + "\n");

        var commit = repo.Commit("comment");

        Assert.StartsWith("ksplice-verdict: no-code-change", NoteOf(repo, commit));
    }

    [Fact]
    public void An_amend_and_a_rebase_get_verdicts_on_the_rewritten_commits()
    {
        using var repo = CTree.Create();
        InstallHooks(repo, "sync");
        var first = SafeChange(repo, "first try");

        repo.Write("greet.c", CTree.Greet.Replace("return printf(\"HELLO", "return 2 * printf(\"HELLO") + "\n");
        repo.Git("add", "-A");
        repo.Git("commit", "-q", "--amend", "-m", "shout twice instead");
        var amended = repo.Git("rev-parse", "HEAD");

        Assert.NotEqual(first, amended);
        var note = NoteOf(repo, amended);
        Assert.StartsWith("ksplice-verdict: hot-patchable", note);
        Assert.Contains("changed: greet.o: shout", note);
        Assert.DoesNotContain("greet.o: greet", note);

        // Two commits on a topic branch, rebased onto a main that moved: the rebased tip gets a verdict.
        repo.Git("checkout", "-q", "-b", "topic");
        repo.Write("data.c", CTree.Data.Replace("return ++counter;", "return counter += 2;") + "\n");
        repo.Commit("bump by two");
        repo.Write("mod.c", CTree.Mod.Replace("x * 3", "x * 4") + "\n");
        repo.Commit("module times four");
        repo.Git("checkout", "-q", "main");
        repo.Write("main.c", CTree.Main.Replace("> 100", "> 200") + "\n");
        repo.Commit("main moves on");
        repo.Git("checkout", "-q", "topic");
        repo.Git("rebase", "-q", "main");
        var tip = repo.Git("rev-parse", "HEAD");

        var rebased = NoteOf(repo, tip);
        Assert.StartsWith("ksplice-verdict: hot-patchable", rebased);
        Assert.Contains("changed: data.o: bump", rebased);
        Assert.Contains("changed: main.o: main", rebased);
        // The commits a rebase replays on its way are not checked one by one: only its result is.
        Assert.Equal("", NoteOf(repo, repo.Git("rev-parse", "HEAD~1")));
    }

    [Fact]
    public void A_merge_gets_a_verdict_and_the_notify_command_hears_it()
    {
        using var repo = CTree.Create();
        using var scratch = new TempDir();
        var heard = scratch["heard"];
        InstallHooks(repo, "sync");
        var notify = scratch.Write("notify.sh", $"#!/bin/sh\necho \"$1 $2 $KSPLICE_VERDICT\" >> '{heard}'\ncat >> '{heard}'\n");
        File.SetUnixFileMode(notify, (UnixFileMode)Convert.ToInt32("755", 8));
        repo.Git("config", "ksplice.hook.notify", notify);
        repo.Git("checkout", "-q", "-b", "topic");
        repo.Git("config", "ksplice.hook.mode", "off");
        var topic = SafeChange(repo);
        repo.Git("checkout", "-q", "main");
        repo.Git("config", "ksplice.hook.mode", "sync");

        repo.Git("merge", "-q", "--ff-only", "topic");

        Assert.Equal(topic, repo.Git("rev-parse", "HEAD"));
        Assert.StartsWith("ksplice-verdict: hot-patchable", NoteOf(repo, topic));
        var lines = File.ReadAllLines(heard);
        Assert.Equal($"hot-patchable {topic} hot-patchable", lines[0]);
        Assert.Equal("ksplice-verdict: hot-patchable", lines[1]);
        Assert.Contains("changed: greet.o: greet", lines);
    }

    [Fact]
    public void The_job_never_touches_the_working_tree_index_or_head_and_keeps_update_notes()
    {
        using var repo = CTree.Create();
        repo.Git("config", "ksplice.hook.mode", "off");
        Assert.Equal(0, repo.Ksplice("hooks", "install").ExitCode);
        var commit = SafeChange(repo);
        Assert.Equal(0, repo.Ksplice("create", "--id", "upd01", commit).ExitCode);
        var before = UserState.Capture(repo);
        repo.Git("config", "ksplice.hook.mode", "sync");

        var r = repo.Ksplice("hook", "post-commit");

        Assert.True(r.ExitCode == 0, r.All);
        Assert.Contains("hot-patchable", r.StdErr);
        Assert.Equal(before, UserState.Capture(repo));
        var note = NoteOf(repo, commit);
        Assert.Contains("ksplice-update: upd01", note);
        Assert.Contains("ksplice-verdict: hot-patchable", note);
        Assert.Equal(0, repo.Ksplice("show", "upd01").ExitCode);
    }

    [Fact]
    public void Mode_off_records_nothing()
    {
        using var repo = CTree.Create();
        InstallHooks(repo, "off");

        var commit = SafeChange(repo);

        Assert.Equal("", NoteOf(repo, commit));
        Assert.False(Directory.Exists(repo.Path(".git/ksplice/hook")));
    }
}
