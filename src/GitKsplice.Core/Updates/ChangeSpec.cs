using System.Text;
using System.Text.RegularExpressions;
using GitKsplice.Build;
using GitKsplice.Cli;
using GitKsplice.Git;
using GitKsplice.Processes;
using LibGit2Sharp;

namespace GitKsplice.Updates;

/// <summary>
/// The post state of an update: its source tree, the commit holding it (if the user has one) and the patch
/// text, which may still be in the making while the post state builds.
/// </summary>
public sealed record ResolvedChange(string PostTree, Commit? PostCommit, Task<string> PatchText);

/// <summary>Where the change of an update comes from: a commit, a range, a patch file or a file extension.</summary>
public abstract record ChangeSpec
{
    /// <summary>"commit X", "range A..B", "patch FILE", "diffext EXT": recorded in the manifest and the note.</summary>
    public abstract string Describe();

    /// <summary>Checks the input before any build starts, so bad input fails fast.</summary>
    public abstract void Validate(KspliceRepository repository);

    /// <summary>Computes the post state on top of <paramref name="pre"/>; the patch kind applies itself in the post build tree.</summary>
    public abstract ResolvedChange Resolve(KspliceRepository repository, Commit pre, BuildTree postTree, ToolOutput output);

    /// <summary>Parses the positional argument of create: a commit, or a range A..B.</summary>
    public static ChangeSpec FromRevision(string revision)
    {
        var dots = revision.IndexOf("..", StringComparison.Ordinal);
        if (dots < 0) return new CommitChange(revision);
        if (revision.Contains("...")) throw new UserError($"symmetric ranges are not updates: '{revision}' (use A..B)");
        var from = revision[..dots];
        var to = revision[(dots + 2)..];
        return new RangeChange(from.Length == 0 ? "HEAD" : from, to.Length == 0 ? "HEAD" : to);
    }

    /// <summary>
    /// The patch text between two trees, from git's own plumbing diff (no user diff settings apply to it),
    /// started in the background: a warm create spends that time building.
    /// </summary>
    protected static Task<string> GitDiff(KspliceRepository repository, string fromTree, string toTree) =>
        Task.Run(() => repository.Git.Run(["diff-tree", "-r", "-p", "--binary", "--no-color", "--no-ext-diff", "--no-textconv", fromTree, toTree]));
}

/// <summary>The seed's --git=COMMIT: the change is git diff refs/ksplice/pre COMMIT.</summary>
public sealed record CommitChange(string Revision) : ChangeSpec
{
    public override string Describe() => $"commit {Revision}";

    public override void Validate(KspliceRepository repository) => repository.ResolveCommit(Revision);

    public override ResolvedChange Resolve(KspliceRepository repository, Commit pre, BuildTree postTree, ToolOutput output)
    {
        var post = repository.ResolveCommit(Revision);
        return new ResolvedChange(post.Tree.Sha, post, GitDiff(repository, pre.Tree.Sha, post.Tree.Sha));
    }
}

/// <summary>A range A..B: the change from A to B, applied on top of the pre state.</summary>
public sealed record RangeChange(string From, string To) : ChangeSpec
{
    public override string Describe() => $"range {From}..{To}";

    public override void Validate(KspliceRepository repository)
    {
        repository.ResolveCommit(From);
        repository.ResolveCommit(To);
    }

    public override ResolvedChange Resolve(KspliceRepository repository, Commit pre, BuildTree postTree, ToolOutput output)
    {
        var from = repository.ResolveCommit(From);
        var to = repository.ResolveCommit(To);
        if (from.Sha == pre.Sha)
            return new ResolvedChange(to.Tree.Sha, to, GitDiff(repository, pre.Tree.Sha, to.Tree.Sha));

        output.Info($"note: {From} is not {SeriesRefs.PreRef} ({pre.Sha[..12]}); applying the change {From}..{To} on top of it");
        var diff = repository.Git.Run(["diff", "--binary", "--full-index", "--no-ext-diff", "--no-textconv", "--no-color", from.Sha, to.Sha]);
        if (diff.Length == 0) throw new UserError($"the range {From}..{To} changes nothing", ExitCodes.NoChange);
        var index = repository.Layout.RangeIndex(Environment.ProcessId);
        try
        {
            var git = repository.Git.With(new Dictionary<string, string?> { ["GIT_INDEX_FILE"] = index });
            git.Run("read-tree", pre.Sha);
            var applied = git.TryRun(["apply", "--cached", "--whitespace=nowarn"], stdin: diff);
            if (!applied.Succeeded)
                throw new UserError($"the change {From}..{To} does not apply on top of {SeriesRefs.PreRef}: {FirstLine(applied.StdErr)}");
            var tree = git.Run("write-tree").Trim();
            return new ResolvedChange(tree, null, GitDiff(repository, pre.Tree.Sha, tree));
        }
        finally { File.Delete(index); }
    }

    private static string FirstLine(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault()?.Trim() ?? "";
}

/// <summary>--patch FILE: a patch(1) file applied on top of the pre state, with --patch-opt options (default -p1).</summary>
public sealed partial record PatchChange(string File, IReadOnlyList<string> PatchOptions) : ChangeSpec
{
    public override string Describe() => $"patch {System.IO.Path.GetFileName(File)}";

    public override void Validate(KspliceRepository repository)
    {
        if (!System.IO.File.Exists(File)) throw new UserError($"patch file not found: {File}");
        if (new FileInfo(File).Length == 0) throw new UserError($"patch file is empty: {File}");
    }

    public override ResolvedChange Resolve(KspliceRepository repository, Commit pre, BuildTree postTree, ToolOutput output)
    {
        var patchFile = System.IO.Path.GetFullPath(File);
        var options = PatchOptions.Count > 0 ? PatchOptions : ["-p1"];
        // --batch: never ask; no backup files left in our tree. A dry run first, so a patch that does not apply changes nothing.
        string[] common = ["--batch", "--no-backup-if-mismatch", .. options, "-i", patchFile];
        var dry = CommandRunner.Run(postTree.Root, "patch", ["--dry-run", .. common]);
        if (!dry.Succeeded)
            throw new UserError($"patch does not apply: {File}: {Explain(dry)}");
        var run = CommandRunner.Run(postTree.Root, "patch", common);
        if (!run.Succeeded)
            throw new UserError($"patch does not apply: {File}: {Explain(run)}");
        var files = PatchedFile().Matches(run.StdOut).Select(m => Unquote(m.Groups[1].Value)).Distinct().ToList();
        if (files.Count == 0) throw new UserError($"patch changes no file: {File}");
        postTree.Git.Run(["update-index", "--add", "--remove", "--", .. files]);
        var tree = postTree.Git.Run("write-tree").Trim();
        postTree.MarkSource(tree);
        return new ResolvedChange(tree, null, Task.FromResult(System.IO.File.ReadAllText(patchFile)));
    }

    private static string Explain(CommandResult r)
    {
        var lines = (r.StdOut + "\n" + r.StdErr).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return lines.FirstOrDefault(l => l.Contains("FAILED") || l.Contains("can't find") || l.Contains("malformed") || l.Contains("Only garbage"))
            ?? lines.LastOrDefault() ?? $"patch exited with {r.ExitCode}";
    }

    private static string Unquote(string name) =>
        name.Length >= 2 && name[0] == '\'' && name[^1] == '\'' ? name[1..^1].Replace("'\\''", "'") : name;

    [GeneratedRegex(@"^patching file (.+)$", RegexOptions.Multiline)]
    private static partial Regex PatchedFile();
}

/// <summary>--diffext EXT: every tracked file F with a sibling F+EXT; the change is F (as in the pre state) → F+EXT.</summary>
public sealed record DiffExtChange(string Extension) : ChangeSpec
{
    public override string Describe() => $"diffext {Extension}";

    public override void Validate(KspliceRepository repository)
    {
        if (string.IsNullOrEmpty(Extension) || Extension.Contains('/'))
            throw new UserError($"bad file extension for --diffext: '{Extension}'");
        if (repository.WorkDir == null) throw new UserError("--diffext needs a working tree; this repository is bare");
        if (!Pairs(repository).Any())
            throw new UserError($"no tracked file has a sibling ending in '{Extension}' in {repository.WorkDir}");
    }

    public override ResolvedChange Resolve(KspliceRepository repository, Commit pre, BuildTree postTree, ToolOutput output)
    {
        var odb = repository.Repo.ObjectDatabase;
        var definition = TreeDefinition.From(pre.Tree);
        var patch = new StringBuilder();
        foreach (var (path, modified) in Pairs(repository).OrderBy(p => p.Path, StringComparer.Ordinal))
        {
            var entry = pre.Tree[path];
            var original = entry?.Target is Blob blob ? blob.GetContentText() : "";
            var changed = System.IO.File.ReadAllText(modified);
            patch.Append(UnifiedDiff.Create(original, changed, entry == null ? "/dev/null" : "a/" + path, "b/" + path));
            var newBlob = odb.CreateBlob(new MemoryStream(System.IO.File.ReadAllBytes(modified)));
            definition.Add(path, newBlob, entry?.Mode ?? Mode.NonExecutableFile);
            output.Verbose($"diffext: {path} -> {path}{Extension}");
        }
        var tree = odb.CreateTree(definition);
        return new ResolvedChange(tree.Sha, null, Task.FromResult(patch.ToString()));
    }

    private IEnumerable<(string Path, string Modified)> Pairs(KspliceRepository repository) =>
        repository.Repo.Index
            .Select(e => (e.Path, Modified: System.IO.Path.Combine(repository.WorkDir!, e.Path + Extension)))
            .Where(p => System.IO.File.Exists(p.Modified));
}
