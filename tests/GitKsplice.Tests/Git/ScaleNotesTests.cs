using System.Text.Json;
using GitKsplice.Git;
using GitKsplice.Tests.Support;

namespace GitKsplice.Tests.Git;

/// <summary>Notes at scale: flat trees from older writers, writes that touch only what they change, bulk reads.</summary>
[Trait(TestCategory.Name, TestCategory.EndToEnd)]
public class ScaleNotesTests
{
    private static List<string> MakeCommits(TestRepo repo, int count)
    {
        // fast-import makes hundreds of commits in one process.
        var stream = new System.Text.StringBuilder();
        for (var i = 1; i <= count; i++)
        {
            stream.Append($"commit refs/heads/main\nmark :{i}\ncommitter T <t@example.com> {1600000000 + i} +0000\ndata 3\nc{i % 10}\n");
            if (i > 1) stream.Append($"from :{i - 1}\n");
            stream.Append($"M 100644 inline f{i % 7}\ndata {i.ToString().Length}\n{i}\n");
        }
        var r = ProcessRunner.Run(repo.Root, "git", ["fast-import", "--quiet"], stdin: stream.ToString());
        Assert.Equal(0, r.ExitCode);
        return repo.Git("rev-list", "--reverse", "main").Split('\n').ToList();
    }

    /// <summary>A flat notes tree of this many notes, as libgit2 writes it (no fan-out directories).</summary>
    private static void WriteFlatNotes(TestRepo repo, string notesRef, IEnumerable<(string Commit, string Text)> notes)
    {
        using var texts = new TempDir();
        var list = notes.ToList();
        var paths = list.Select((n, i) => texts.Write($"n{i}", n.Text)).ToList();
        var blobs = ProcessRunner.Run(repo.Root, "git", ["hash-object", "-w", "--stdin-paths"], stdin: string.Join("\n", paths) + "\n")
            .StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var entries = new System.Text.StringBuilder();
        for (var i = 0; i < list.Count; i++) entries.Append($"100644 blob {blobs[i]}\t{list[i].Commit}\n");
        var tree = ProcessRunner.Run(repo.Root, "git", ["mktree"], stdin: entries.ToString()).StdOut.Trim();
        var commitId = repo.Git("commit-tree", "-m", "flat notes", tree);
        repo.Git("update-ref", notesRef, commitId);
    }

    [Fact]
    public void A_flat_tree_of_many_notes_is_read_and_the_next_write_fans_it_out()
    {
        using var repo = new TestRepo();
        var commits = MakeCommits(repo, 600);
        WriteFlatNotes(repo, "refs/notes/ksplice", commits.Take(599).Select(c => (c, $"old: {c}\n")));
        Assert.DoesNotContain(" tree ", repo.Git("ls-tree", "refs/notes/ksplice")); // really flat

        using (var repository = KspliceRepository.Discover(repo.Root))
        {
            var store = new NotesStore(repository, "refs/notes/ksplice");
            var all = store.ReadAll();
            Assert.Equal(599, all.Count);
            Assert.Equal($"old: {commits[321]}\n", all[commits[321]]);
            Assert.Equal($"old: {commits[17]}\n", store.Read(commits[17]));
            Assert.Null(store.Read(commits[599]));

            store.Edit(new Dictionary<string, Func<string?, string?>>
            {
                [commits[599]] = _ => "new: last\n",
                [commits[5]] = old => old + "more: yes\n",
            }, "one more");
        }

        var top = repo.Git("ls-tree", "refs/notes/ksplice").Split('\n');
        Assert.All(top, line => Assert.Matches(@"^040000 tree [0-9a-f]{40}\t[0-9a-f]{2}$", line));
        Assert.Equal(600, repo.Git("notes", "--ref", "ksplice", "list").Split('\n').Length);
        Assert.Equal("new: last", repo.Git("notes", "--ref", "ksplice", "show", commits[599]));
        Assert.Equal($"old: {commits[5]}\nmore: yes", repo.Git("notes", "--ref", "ksplice", "show", commits[5]));
        Assert.Equal($"old: {commits[400]}", repo.Git("notes", "--ref", "ksplice", "show", commits[400]));
    }

    [Fact]
    public void A_write_to_a_fanned_out_tree_changes_only_the_edited_notes()
    {
        using var repo = new TestRepo();
        var commits = MakeCommits(repo, 400);
        using var repository = KspliceRepository.Discover(repo.Root);
        var store = new NotesStore(repository, "refs/notes/test");
        store.Edit(commits.Take(300).ToDictionary(c => c, c => (Func<string?, string?>)(_ => $"n {c}\n")), "batch");
        var before = repo.Git("rev-parse", "refs/notes/test");

        store.Edit(new Dictionary<string, Func<string?, string?>>
        {
            [commits[350]] = _ => "added\n",
            [commits[10]] = _ => null,
            [commits[20]] = _ => "changed\n",
        }, "edit three");

        Assert.Equal(before, repo.Git("rev-parse", "refs/notes/test^"));
        var changed = repo.Git("diff-tree", "-r", "--name-status", before, "refs/notes/test").Split('\n').Order().ToList();
        Assert.Equal(
            new[] { $"A\t{Fan(commits[350])}", $"D\t{Fan(commits[10])}", $"M\t{Fan(commits[20])}" }.Order(),
            changed);
        Assert.Equal(300, store.ReadAll().Count);
        Assert.Equal("changed", repo.Git("notes", "--ref", "test", "show", commits[20]));
    }

    private static string Fan(string id) => id[..2] + "/" + id[2..];

    /// <summary>Refs and notes as create records them, plus the odd cases a long-lived repository collects.</summary>
    private static (TestRepo Repo, List<string> Commits) RepoWithUpdates()
    {
        var repo = new TestRepo();
        var commits = MakeCommits(repo, 300);
        var pre = commits[200];
        repo.Git("update-ref", "refs/ksplice/pre", pre);
        string UpdateNote(string id, string prev, string post, string verdict, params string[] changed) =>
            $"ksplice-update: {id}\npre: {prev}\npost: {post}\nsource: commit {post[..12]}\nverdict: {verdict}\n" +
            $"tarball: /tmp/ksplice-{id}.tar.gz\nobject: a.o\n" + string.Concat(changed.Select(c => $"changed: a.o: {c}\n"));
        var notes = new List<(string, string)>();
        for (var i = 0; i < 280; i++)
        {
            var id = $"u{i:D3}";
            var post = commits[i + 10];
            var built = i % 100 == 7 ? pre : commits[i + 9]; // u191 is built on pre too: its post is pre + 1
            repo.Git("update-ref", $"refs/ksplice/updates/{id}", post);
            if (i == 42) continue; // a ref whose note was lost
            var note = UpdateNote(id, built, post, i % 3 == 0 ? "unsafe (forced)" : "hot-patchable", $"f{i}", $"g{i}");
            if (i % 5 == 0) note = "ksplice-verdict: hot-patchable\npre: " + built + "\nchecked: 2024-01-01T00:00:00Z\n\n" + note;
            notes.Add((post, note));
        }
        notes.Add((commits[299], "ksplice-verdict: unsafe\npre: x\nchecked: 2024-01-01T00:00:00Z\n")); // a verdict, no update
        WriteFlatNotes(repo, "refs/notes/ksplice", notes);
        repo.Git("pack-refs", "--all");
        return (repo, commits);
    }

    [Fact]
    public void List_and_series_print_every_update_from_refs_and_notes()
    {
        var (repo, commits) = RepoWithUpdates();
        using var _ = repo;

        var list = repo.Ksplice("list");
        Assert.Equal(0, list.ExitCode);
        var lines = list.StdOut.TrimEnd('\n').Split('\n');
        Assert.Equal(280, lines.Length);
        Assert.Equal($"u000  {commits[10][..12]}  unsafe (forced)  2 function(s)   commit {commits[10][..12]}", lines[0]);
        Assert.Equal($"u001  {commits[11][..12]}  hot-patchable    2 function(s)   commit {commits[11][..12]}", lines[1]);
        Assert.Equal($"u042  {commits[52][..12]}  ?                (no note)       ", lines[42]);

        using var json = JsonDocument.Parse(repo.Ksplice("list", "--json").StdOut);
        var u5 = json.RootElement.EnumerateArray().Single(e => e.GetProperty("id").GetString() == "u005");
        Assert.Equal(commits[15], u5.GetProperty("post").GetString());
        Assert.Equal(commits[14], u5.GetProperty("pre").GetString());
        Assert.Equal(["a.o: f5", "a.o: g5"], u5.GetProperty("changed").EnumerateArray().Select(e => e.GetString()!).ToArray());

        var series = repo.Ksplice("series").StdOut.TrimEnd('\n').Split('\n');
        Assert.Equal($"pre: {commits[200][..12]} c1", series[0]);
        Assert.Equal("updates built on it:", series[1]);
        Assert.Equal(["u007", "u107", "u191", "u207"], series.Skip(2).Select(l => l.Trim().Split("  ")[0]).ToArray());

        var show = repo.Ksplice("show", "u107");
        Assert.Equal(0, show.ExitCode);
        Assert.Contains($"pre commit:  {commits[200]}", show.StdOut);
        Assert.Contains("verdict:     hot-patchable", show.StdOut);
    }

    [Fact]
    public void Reads_give_the_same_answer_on_flat_and_fanned_out_trees()
    {
        var (repo, commits) = RepoWithUpdates();
        using var _ = repo;
        var flat = new[] { repo.Ksplice("list", "--json").StdOut, repo.Ksplice("series", "--json").StdOut, repo.Ksplice("show", "--json", "u150").StdOut };

        // Any write lays the tree out fanned out; the reads must not change.
        using (var repository = KspliceRepository.Discover(repo.Root))
            new NotesStore(repository, "refs/notes/ksplice").Edit(
                new Dictionary<string, Func<string?, string?>> { [commits[0]] = _ => "unrelated: note\n" }, "fan out");
        Assert.All(repo.Git("ls-tree", "refs/notes/ksplice").Split('\n'), line => Assert.Contains(" tree ", line));

        var fanned = new[] { repo.Ksplice("list", "--json").StdOut, repo.Ksplice("series", "--json").StdOut, repo.Ksplice("show", "--json", "u150").StdOut };
        Assert.Equal(flat, fanned);
    }

    [Fact]
    public void Commands_work_from_a_linked_worktree()
    {
        var (repo, commits) = RepoWithUpdates();
        using var _ = repo;
        using var elsewhere = new TempDir();
        var linked = Path.Combine(elsewhere.Path, "wt");
        repo.Git("worktree", "add", "-q", linked, commits[5]);

        var r = ProcessRunner.Run(linked, "git", ["ksplice", "list"]);
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(280, r.StdOut.TrimEnd('\n').Split('\n').Length);
        using var repository = KspliceRepository.Discover(linked);
        Assert.Equal(Path.Combine(repo.Root, ".git"), repository.CommonDir);
    }
}
