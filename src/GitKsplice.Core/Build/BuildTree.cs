using System.Text.Json;
using GitKsplice.Cli;
using GitKsplice.Git;
using GitKsplice.Json;
using GitKsplice.Processes;

namespace GitKsplice.Build;

/// <summary>What a build tree holds: the source tree it was synced to and whether that state is built.</summary>
public sealed record BuildTreeState(string SourceTree, string BuildKey, string ConfigHash, bool Built);

/// <summary>The build failed; the log keeps its whole output.</summary>
public sealed class BuildFailedException(string what, int exitCode, string logPath)
    : UserError($"build of {what} failed (exit {exitCode}); see the log: {logPath}")
{
    /// <summary>The state whose build failed: "the pre state", "the post state".</summary>
    public string What { get; } = what;
    public int BuildExitCode { get; } = exitCode;
    public string LogPath { get; } = logPath;
}

/// <summary>
/// The build tree of our own under the git dir ($GIT_COMMON_DIR/ksplice/build/&lt;name&gt;), never the user's
/// working tree. Its source is moved between git trees with its own index and `read-tree -u`, which rewrites
/// only the files that differ, so make's dependency tracking rebuilds only what a change touches.
/// </summary>
public sealed class BuildTree(KspliceRepository repository, string name)
{
    public string Name { get; } = name;
    public string Root { get; } = Path.Combine(repository.Layout.BuildDir, name);
    private string IndexFile => Root + ".index";
    /// <summary>Where the compiler wrapper puts the sectioned copies of a plain Makefile's objects.</summary>
    private string ObjectCopies => Root + ".objects";
    private string StateFile => Root + ".state";
    private string LogDir => repository.Layout.Logs;
    private string WrapperDir => repository.Layout.CompilerWrapper;

    public BuildTreeState? State
    {
        get
        {
            try { return File.Exists(StateFile) ? JsonSerializer.Deserialize(File.ReadAllText(StateFile), StateJsonContext.Default.BuildTreeState) : null; }
            catch (JsonException) { return null; }
        }
    }

    /// <summary>Not flushed to disk: a state lost in a crash only costs a clean rebuild.</summary>
    private void SaveState(BuildTreeState state) =>
        AtomicFile.WriteAllText(StateFile, JsonSerializer.Serialize(state, StateJsonContext.Default.BuildTreeState), flushToDisk: false);

    /// <summary>
    /// Where the objects with one section per function are: the tree itself for Kbuild (KCFLAGS), else the
    /// copies the compiler wrapper compiles beside the build.
    /// </summary>
    public string SectionedObjects(bool kbuild) => kbuild ? Root : ObjectCopies;

    /// <summary>git plumbing on this tree: our own index and work tree, the user's objects.</summary>
    public GitCli Git => repository.Git.With(new Dictionary<string, string?>
    {
        ["GIT_DIR"] = repository.CommonDir,
        ["GIT_WORK_TREE"] = Root,
        ["GIT_INDEX_FILE"] = IndexFile,
    });

    /// <summary>Moves the tree's source to <paramref name="treeId"/>, rewriting only what differs.</summary>
    public void Sync(string treeId, string buildKey, string configHash)
    {
        var state = State;
        if (state == null || state.BuildKey != buildKey || !File.Exists(IndexFile))
        {
            // A different compiler or build command: start clean, an incremental build would mix the two.
            Remove();
            Directory.CreateDirectory(Root);
            state = null;
        }
        if (state?.SourceTree == treeId && state.ConfigHash == configHash) return;
        // A two-tree move from the tree's source rewrites what differs and skips unchanged directories by
        // their cached trees: half the time of a one-tree reset on a kernel's 75k-file index. A reset is
        // the fallback when the tree was touched behind our back.
        if (state == null || state.SourceTree == treeId || !Git.TryRun(["read-tree", "-m", "-u", state.SourceTree, treeId]).Succeeded)
            Git.Run("read-tree", "--reset", "-u", treeId);
        SaveState(new BuildTreeState(treeId, buildKey, configHash, Built: false));
    }

    /// <summary>Records that the source now is <paramref name="treeId"/> after an edit we made ourselves (a patch).</summary>
    public void MarkSource(string treeId)
    {
        var state = State ?? throw new InvalidOperationException("build tree has no state");
        SaveState(state with { SourceTree = treeId, Built = false });
    }

    /// <summary>Copies the running kernel's .config and System.map (ORIG_CONFIG) into the tree.</summary>
    public void InstallConfig(OriginalConfig config)
    {
        foreach (var file in config.Files)
        {
            var target = Path.Combine(Root, Path.GetFileName(file));
            if (File.Exists(target) && FilesEqual(file, target)) continue; // keep mtime: no needless rebuild
            File.Copy(file, target, overwrite: true);
        }
    }

    /// <summary>
    /// Runs the build command in the tree; logs to $GIT_DIR/ksplice/logs/&lt;label&gt;.log. <paramref name="what"/>
    /// names the state for messages; <paramref name="whileBuilding"/> runs once the build has started.
    /// </summary>
    public string Build(BuildSettings settings, bool kbuild, string label, string what, ToolOutput output,
        CancellationToken cancel = default, Action? whileBuilding = null)
    {
        Directory.CreateDirectory(LogDir);
        var log = repository.Layout.Log(label);
        File.WriteAllText(log, $"$ {settings.Command}\n# in {Root}\n");
        output.Verbose($"building {what}: {settings.Command} (log: {log})");
        var env = settings.BuildEnvironment(kbuild, WrapperDir, Root, SectionedObjects(kbuild));
        // -vv echoes the build; otherwise a terminal gets one status line with the build's latest step.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Action<string>? echo = output.Verbosity >= 2 ? line => output.Err.WriteLine(line)
            : output.LiveProgress ? line => output.Status($"building {what} ({clock.Elapsed.TotalSeconds:0}s): {line.Trim()}")
            : null;
        int exit;
        var (program, args) = settings.Invocation(Root, env);
        try { exit = CommandRunner.RunLogged(Root, program, args, log, env, echo, whileBuilding, cancel); }
        finally { output.EndStatus(); }
        var state = State!;
        SaveState(state with { Built = exit == 0 });
        if (exit != 0) throw new BuildFailedException(what, exit, log);
        return log;
    }

    private void Remove()
    {
        if (Directory.Exists(Root)) Directory.Delete(Root, recursive: true);
        if (Directory.Exists(ObjectCopies)) Directory.Delete(ObjectCopies, recursive: true);
        Directory.CreateDirectory(Path.GetDirectoryName(Root)!);
        File.Delete(IndexFile);
        File.Delete(StateFile);
    }

    private static bool FilesEqual(string a, string b) =>
        new FileInfo(a).Length == new FileInfo(b).Length && File.ReadAllBytes(a).AsSpan().SequenceEqual(File.ReadAllBytes(b));
}
