// Build-tree benchmark: the cost of moving the build tree between two states that differ in a few files,
// and of finding the changed outputs, on generated trees of growing size, against git checkout of the same
// change in an ordinary work tree. Usage: dotnet run -c Release -- [files...] (default 10000 40000).
using System.Diagnostics;
using GitKsplice.Build;
using GitKsplice.Git;

var sizes = args.Length > 0 ? args.Select(int.Parse).ToArray() : [10000, 40000];
const int Differing = 3;
Console.WriteLine($"{"files",8} {"checkout",10} {"sync",10} {"git checkout",13} {"ratio",6} {"outputs walk",13} {"snapshot",9} {"disk: tree + snapshot",22}");
foreach (var files in sizes)
{
    var work = Directory.CreateTempSubdirectory("gks-bench-").FullName;
    try { Run(work, files); }
    finally { Directory.Delete(work, recursive: true); }
}

void Run(string work, int files)
{
    var repoDir = Path.Combine(work, "repo");
    Git(work, null, "init", "-q", repoDir);
    Git(repoDir, Generate(files), "fast-import", "--quiet");
    Git(repoDir, null, "checkout", "-q", "main");

    using var repository = KspliceRepository.Discover(repoDir);
    var pre = repository.ResolveCommit("main~1").Tree.Sha;
    var post = repository.ResolveCommit("main").Tree.Sha;
    var tree = new BuildTree(repository, "tree");
    var checkout = Time(() => tree.Sync(pre, "bench", "none"));

    // Build outputs: an object beside every 50th source, snapshotted as the pre state's.
    var sources = Directory.EnumerateFiles(tree.Root, "*.c", SearchOption.AllDirectories).ToList();
    foreach (var source in sources.Where((_, i) => i % 50 == 0)) File.WriteAllText(source[..^2] + ".o", "object code");
    var snapshot = new OutputSnapshot(Path.Combine(repository.StateDir, "build", "pre-outputs"));
    var snapshotTime = Time(() => snapshot.Refresh(tree.Root, ChangedOutputs.Objects(tree.Root), new SnapshotState(pre, "bench", "none")));

    var sync = Median(5, () => { tree.Sync(post, "bench", "none"); tree.Sync(pre, "bench", "none"); }) / 2;
    var walk = Median(5, () => ChangedOutputs.Find(snapshot.Root, tree.Root, ChangedOutputs.Objects(tree.Root)));
    var plain = Median(5, () => { Git(repoDir, null, "checkout", "-q", "main~1"); Git(repoDir, null, "checkout", "-q", "main"); }) / 2;
    var (_, total) = StateDiskUsage.Measure(repository);
    Console.WriteLine($"{files,8} {checkout,9:0.000}s {sync,9:0.000}s {plain,12:0.000}s {sync / plain,6:0.0} {walk,12:0.000}s {snapshotTime,8:0.000}s {StateDiskUsage.Human(total),22}");
}

// Two commits: `files` sources in 100 directories, then Differing of them changed.
static string Generate(int files)
{
    var s = new System.Text.StringBuilder();
    s.Append("commit refs/heads/main\nmark :1\ncommitter b <b@example.com> 1500000000 +0000\ndata 4\npre\n");
    for (var i = 0; i < files; i++) Blob(s, i, i);
    s.Append("commit refs/heads/main\nmark :2\ncommitter b <b@example.com> 1500000001 +0000\ndata 5\npost\nfrom :1\n");
    for (var i = 0; i < Differing; i++) Blob(s, i * 997 % files, -1);
    return s.ToString();

    static void Blob(System.Text.StringBuilder s, int i, int value)
    {
        var body = $"int v{i}(void) {{ return {value}; }}\n";
        s.Append($"M 100644 inline d{i % 100}/s{i % 7}/f{i}.c\ndata {body.Length}\n{body}\n");
    }
}

static double Time(Action action)
{
    var clock = Stopwatch.StartNew();
    action();
    return clock.Elapsed.TotalSeconds;
}

static double Median(int runs, Action action)
{
    var times = Enumerable.Range(0, runs).Select(_ => Time(action)).Order().ToList();
    return times[runs / 2];
}

static void Git(string dir, string? stdin, params string[] args)
{
    var psi = new ProcessStartInfo("git") { WorkingDirectory = dir, RedirectStandardInput = stdin != null, RedirectStandardError = true };
    foreach (var a in args) psi.ArgumentList.Add(a);
    using var p = Process.Start(psi)!;
    if (stdin != null) { p.StandardInput.Write(stdin); p.StandardInput.Close(); }
    var err = p.StandardError.ReadToEnd();
    p.WaitForExit();
    if (p.ExitCode != 0) throw new InvalidOperationException($"git {string.Join(' ', args)}: {err}");
}
