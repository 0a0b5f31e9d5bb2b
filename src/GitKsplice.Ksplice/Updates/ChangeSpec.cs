using System.Text;
using System.Text.RegularExpressions;
using GitKsplice.Build;
using GitKsplice.Git;
using GitKsplice.Processes;
using GitKsplice.Reporting;
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

    /// <summary>
    /// The paths the change touches, as far as they are known before anything is built: the pre build compiles
    /// their objects' sectioned copies beside them. A path missed only costs a later compile, never a wrong one.
    /// </summary>
    public abstract IReadOnlyCollection<string> TouchedPaths(KspliceRepository repository, Commit pre);

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

    public override IReadOnlyCollection<string> TouchedPaths(KspliceRepository repository, Commit pre) =>
        repository.Git.PathsBetween(pre.Tree.Sha, repository.ResolveCommit(Revision).Tree.Sha);

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

    public override IReadOnlyCollection<string> TouchedPaths(KspliceRepository repository, Commit pre) =>
        repository.Git.PathsBetween(repository.ResolveCommit(From).Tree.Sha, repository.ResolveCommit(To).Tree.Sha);

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

/// <summary>
/// --patch FILE: a patch(1) file applied on top of the pre state, with --patch-opt options (default -p1, and
/// --fuzz=0: a hunk whose context does not match exactly is refused, not applied somewhere near).
/// </summary>
public sealed partial record PatchChange(string File, IReadOnlyList<string> PatchOptions) : ChangeSpec
{
    public override string Describe() => $"patch {System.IO.Path.GetFileName(File)}";

    public override void Validate(KspliceRepository repository)
    {
        if (!System.IO.File.Exists(File)) throw new UserError($"patch file not found: {File}");
        if (new FileInfo(File).Length == 0) throw new UserError($"patch file is empty: {File}");
    }

    /// <summary>
    /// Applies the patch to copies of the files it touches, never to the build tree itself: patch(1) can fail
    /// halfway through after its dry run passed (a file below a symbolic link the patch creates), and a tree
    /// left half-patched would build the failed patch's code into the next update. The post source is the
    /// tree's source (the pre state) with the patched copies staged over it.
    /// </summary>
    public override ResolvedChange Resolve(KspliceRepository repository, Commit pre, BuildTree postTree, ToolOutput output)
    {
        var patchFile = System.IO.Path.GetFullPath(File);
        string[] common = ["--batch", "--forward", "--no-backup-if-mismatch", .. DefaultOptions(PatchOptions), .. PatchOptions, "-i", patchFile];
        // The dry run reads the build tree (at the pre source) and names every file the patch touches.
        var dry = CommandRunner.Run(postTree.Root, "patch", ["--dry-run", .. common]);
        if (!dry.Succeeded) throw new UserError($"patch does not apply: {File}: {Explain(dry)}");
        var files = Touched(dry.StdOut);
        if (files.Count == 0) throw new UserError($"patch changes no file: {File}");

        var scratch = repository.Layout.PatchScratch(Environment.ProcessId);
        try
        {
            if (Directory.Exists(scratch)) Directory.Delete(scratch, recursive: true);
            Directory.CreateDirectory(scratch);
            foreach (var file in files) CopyOut(postTree.Root, scratch, file);
            var run = CommandRunner.Run(scratch, "patch", common);
            if (!run.Succeeded) throw new UserError($"patch does not apply: {File}: {Explain(run)}");
            var tree = postTree.SourceWith(scratch, files.Union(Touched(run.StdOut)).ToList());
            return new ResolvedChange(tree, null, Task.FromResult(System.IO.File.ReadAllText(patchFile)));
        }
        finally
        {
            if (Directory.Exists(scratch)) Directory.Delete(scratch, recursive: true);
        }
    }

    /// <summary>
    /// The files the patch's headers name ("+++ b/src/x.c"), with as many leading directories dropped as its
    /// -p/--strip option says (patch(1) itself, which reads the tree, decides when the patch is applied).
    /// </summary>
    public override IReadOnlyCollection<string> TouchedPaths(KspliceRepository repository, Commit pre)
    {
        var strip = 1;
        foreach (var option in PatchOptions)
            if (StripOption().Match(option) is { Success: true } m) strip = int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        var paths = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in System.IO.File.ReadLines(File))
        {
            if (!line.StartsWith("+++ ", StringComparison.Ordinal) && !line.StartsWith("--- ", StringComparison.Ordinal)) continue;
            var name = line[4..].Split('\t')[0].Trim();
            var parts = name.Split('/', StringSplitOptions.RemoveEmptyEntries);
            if (name != "/dev/null" && parts.Length > strip) paths.Add(string.Join('/', parts[strip..]));
        }
        return paths;
    }

    /// <summary>-p1 unless the options strip otherwise; --fuzz=0 unless they allow fuzz.</summary>
    private static IEnumerable<string> DefaultOptions(IReadOnlyList<string> options)
    {
        if (!options.Any(o => o.StartsWith("-p", StringComparison.Ordinal) || o.StartsWith("--strip", StringComparison.Ordinal)))
            yield return "-p1";
        if (!options.Any(o => o.StartsWith("-F", StringComparison.Ordinal) || o.StartsWith("--fuzz", StringComparison.Ordinal)))
            yield return "--fuzz=0";
    }

    /// <summary>
    /// Copies a file the patch touches from the tree into the scratch directory (a symbolic link as a link); a
    /// file the patch creates has nothing to copy. A path out of the tree or below a symbolic link is refused.
    /// </summary>
    private void CopyOut(string treeRoot, string scratch, string file)
    {
        var parts = file.Split('/');
        if (System.IO.Path.IsPathRooted(file) || parts.Any(p => p is "" or "." or ".."))
            throw new UserError($"patch does not apply: {File}: '{file}' is not a path inside the tree");
        for (var i = 1; i < parts.Length; i++)
        {
            var parent = string.Join('/', parts[..i]);
            var info = new FileInfo(System.IO.Path.Combine(treeRoot, parent));
            if (info.LinkTarget != null)
                throw new UserError($"patch does not apply: {File}: '{file}' is below the symbolic link '{parent}'");
        }
        var source = new FileInfo(System.IO.Path.Combine(treeRoot, file));
        var target = System.IO.Path.Combine(scratch, file);
        if (source.LinkTarget is { } link)
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(target)!);
            System.IO.File.CreateSymbolicLink(target, link);
        }
        else if (source.Exists)
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(target)!);
            source.CopyTo(target); // with its mode
        }
    }

    /// <summary>
    /// The files patch(1) names in its output ("checking file X", "patching symbolic link X", and the source of
    /// a rename or copy, "patching file B (renamed from A)").
    /// </summary>
    private static List<string> Touched(string stdout) =>
        TouchedFile().Matches(stdout)
            .SelectMany(m => m.Groups[2].Success ? [m.Groups[1].Value, m.Groups[2].Value] : new[] { m.Groups[1].Value })
            .Select(Unquote).Distinct(StringComparer.Ordinal).ToList();

    /// <summary>
    /// The line of patch(1)'s output that says what went wrong: a hunk that failed (named with its file and
    /// number), a file refused or not found; patch goes on to the next file after a failure, so its last line
    /// is often about a file that applied.
    /// </summary>
    private static string Explain(CommandResult r)
    {
        string? file = null;
        foreach (var line in (r.StdOut + "\n" + r.StdErr).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (TouchedFile().Match(line) is { Success: true } touched) { file = Unquote(touched.Groups[1].Value); continue; }
            if (FailedHunk().Match(line) is { Success: true } hunk)
                return $"hunk #{hunk.Groups[1].Value} of {file ?? "a file"} does not apply (at line {hunk.Groups[2].Value}; " +
                    "hunks must match exactly unless --patch-opt allows fuzz)";
            if (Problems.Any(p => line.Contains(p, StringComparison.Ordinal))) return line;
        }
        return Fallback(r) ?? $"patch exited with {r.ExitCode}";
    }

    private static readonly string[] Problems =
        ["Invalid file name", "can't find file", "No file to patch", "malformed", "Only garbage", "Reversed", "can't create",
         "can't open", "No such file", "Not a directory", "Permission denied", "No space left", "doesn't contain", "not a regular file"];

    /// <summary>For a failure of a kind not known: patch's first complaint, else its last word.</summary>
    private static string? Fallback(CommandResult r) =>
        r.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault()
        ?? r.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault();

    private static string Unquote(string name) =>
        name.Length >= 2 && name[0] == '\'' && name[^1] == '\'' ? name[1..^1].Replace("'\\''", "'") : name;

    [GeneratedRegex(@"^(?:checking|patching) (?:file|symbolic link) (.+?)(?: \((?:renamed|copied) from (.+)\))?$", RegexOptions.Multiline)]
    private static partial Regex TouchedFile();

    [GeneratedRegex(@"^Hunk #(\d+) FAILED at (\d+)")]
    private static partial Regex FailedHunk();

    [GeneratedRegex(@"^(?:-p|--strip=)(\d+)$")]
    private static partial Regex StripOption();
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

    public override IReadOnlyCollection<string> TouchedPaths(KspliceRepository repository, Commit pre) =>
        Pairs(repository).Select(p => p.Path).ToList();

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
