using GitKsplice.Git;
using GitKsplice.Tests.Support;

namespace GitKsplice.Tests.Git;

public class NotesStoreTests
{
    [Theory]
    [InlineData(0, 0)]
    [InlineData(256, 0)]
    [InlineData(257, 1)]
    [InlineData(65536, 1)]
    [InlineData(65537, 2)]
    public void Fan_out_grows_with_the_number_of_notes(int notes, int depth) =>
        Assert.Equal(depth, NotesStore.FanOutDepth(notes));

    [Fact]
    [Trait(TestCategory.Name, TestCategory.Scale)]
    public void Many_notes_are_written_fanned_out_in_one_commit_and_git_reads_them()
    {
        using var repo = new TestRepo();
        var commits = new List<string>();
        for (var i = 0; i < 300; i++)
            commits.Add(repo.Git("commit-tree", "-m", $"c{i}", repo.Git("write-tree")));
        using var repository = KspliceRepository.Discover(repo.Root);
        var store = new NotesStore(repository, "refs/notes/test");

        store.Edit(commits.ToDictionary(c => c, c => (Func<string?, string?>)(_ => $"note for {c}\n")), "batch");

        Assert.Equal("1", repo.Git("rev-list", "--count", "refs/notes/test"));
        var top = repo.Git("ls-tree", "refs/notes/test").Split('\n');
        Assert.All(top, line => Assert.Contains(" tree ", line)); // ab/cdef… directories, no flat entries
        Assert.Equal($"note for {commits[123]}", repo.Git("notes", "--ref", "test", "show", commits[123]));
        Assert.Equal(300, store.ReadAll().Count);
        Assert.Equal($"note for {commits[7]}\n", store.Read(commits[7]));
    }

    [Fact]
    [Trait(TestCategory.Name, TestCategory.Scale)]
    public void A_flat_tree_written_by_git_is_read_and_rewritten_fanned_out()
    {
        using var repo = new TestRepo();
        var commits = new List<string>();
        for (var i = 0; i < 260; i++)
        {
            var c = repo.Git("commit-tree", "-m", $"c{i}", repo.Git("write-tree"));
            commits.Add(c);
        }
        // git itself keeps small trees flat; write the first 200 that way.
        foreach (var c in commits.Take(200)) repo.Git("notes", "--ref", "test", "add", "-m", "old " + c, c);
        using var repository = KspliceRepository.Discover(repo.Root);
        var store = new NotesStore(repository, "refs/notes/test");
        Assert.Equal("old " + commits[5] + "\n", store.Read(commits[5]));

        store.Edit(commits.Skip(200).ToDictionary(c => c, c => (Func<string?, string?>)(_ => "new " + c + "\n")), "more");

        Assert.Equal(260, store.ReadAll().Count);
        Assert.Equal("old " + commits[5], repo.Git("notes", "--ref", "test", "show", commits[5]));
        Assert.All(repo.Git("ls-tree", "refs/notes/test").Split('\n'), line => Assert.Contains(" tree ", line));
    }

    [Fact]
    public void An_edit_whose_git_started_early_applies_after_another_writer_moved_the_notes()
    {
        using var repo = new TestRepo();
        var first = repo.Git("commit-tree", "-m", "a", repo.Git("write-tree"));
        var second = repo.Git("commit-tree", "-m", "b", repo.Git("write-tree"));
        using var repository = KspliceRepository.Discover(repo.Root);
        var store = new NotesStore(repository, "refs/notes/test");
        using var edit = store.BeginEdit("mine");
        edit.StartGit();

        repo.Git("notes", "--ref", "test", "add", "-m", "theirs", first); // moves the ref under the started git
        edit.Apply(new Dictionary<string, Func<string?, string?>> { [second] = _ => "mine\n" }, ["create refs/test/mine " + second]);

        Assert.Equal("theirs", repo.Git("notes", "--ref", "test", "show", first));
        Assert.Equal("mine", repo.Git("notes", "--ref", "test", "show", second));
        Assert.Equal(second, repo.Git("rev-parse", "refs/test/mine"));
        Assert.Contains("notes: mine", repo.Git("reflog", "show", "refs/notes/test"));
    }

    [Fact]
    public void An_edit_that_fails_before_its_refs_move_moves_nothing_and_leaves_no_lock()
    {
        using var repo = new TestRepo();
        var commit = repo.Git("commit-tree", "-m", "a", repo.Git("write-tree"));
        using var repository = KspliceRepository.Discover(repo.Root);
        var store = new NotesStore(repository, "refs/notes/test");

        using (var edit = store.BeginEdit("failing"))
        {
            edit.StartGit();
            Assert.Throws<IOException>(() => edit.Apply(
                new Dictionary<string, Func<string?, string?>> { [commit] = _ => "note\n" }, ["create refs/test/x " + commit],
                beforeRefsMove: () => throw new IOException("tarball not written")));
        }
        using (var unused = store.BeginEdit("never applied")) unused.StartGit();

        Assert.NotEqual(0, repo.TryGit("rev-parse", "--verify", "-q", "refs/notes/test").ExitCode);
        Assert.NotEqual(0, repo.TryGit("rev-parse", "--verify", "-q", "refs/test/x").ExitCode);
        Assert.Empty(Directory.GetFiles(Path.Combine(repo.Root, ".git", "refs"), "*.lock", SearchOption.AllDirectories));
        store.Edit(new Dictionary<string, Func<string?, string?>> { [commit] = _ => "later\n" }, "later");
        Assert.Equal("later", repo.Git("notes", "--ref", "test", "show", commit));
    }

    [Fact]
    public void Records_of_other_kinds_survive_an_update()
    {
        var note = new NoteRecord("ksplice-verdict", "abc").Add("verdict", "hot-patchable").ToString();
        var merged = new NoteRecord("ksplice-update", "u1").Add("pre", "p").MergeInto(note);
        var replaced = new NoteRecord("ksplice-update", "u1").Add("pre", "q").MergeInto(merged);

        var records = NoteRecord.ParseAll(replaced);
        Assert.Equal(2, records.Count);
        Assert.Equal("hot-patchable", records.Single(r => r.Kind == "ksplice-verdict").Get("verdict"));
        Assert.Equal("q", records.Single(r => r.Kind == "ksplice-update").Get("pre"));
    }
}
