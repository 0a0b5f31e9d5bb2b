using System.Text;
using GitKsplice.Tests.Support;
using GitKsplice.Updates;
using static GitKsplice.Tests.Hooks.HookTestSupport;

namespace GitKsplice.Tests.Updates;

/// <summary>
/// Every --json output of git ksplice that a run here can make, and the tarball's manifest.json, whole and
/// normalised (<see cref="Golden"/>) against Updates/Golden/&lt;name&gt;.json. The Linux tests pin apply, undo and a
/// view with livepatches (LiveScenario).
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public class JsonGoldenTests
{
    [RequiresFact(Tool.Gcc, Tool.Make)]
    public void The_json_of_every_command_and_the_manifest_stay_as_they_are()
    {
        using var repo = CTree.Create();
        InstallHooks(repo, "sync");
        // Two commits the hook checks, alike but for their code: status lists its verdicts newest first, and two
        // checked in the same second may come in either order.
        SafeChange(repo, "fix greeting", " + 1");
        var commit = SafeChange(repo, "fix greeting", " + 2");

        var outputs = new List<(string Name, string Json)>();
        void Run(string name, params string[] args)
        {
            var r = repo.Ksplice(args);
            Assert.True(r.ExitCode == 0, $"git ksplice {string.Join(' ', args)}: {r.All}");
            outputs.Add((name, r.StdOut));
        }
        Run("create", "create", "--json", "--series", "--id", "golden1", commit);
        outputs.Add(("manifest", Encoding.UTF8.GetString(UpdateArchive.ReadAll(repo.Path("ksplice-golden1.tar.gz"))["manifest.json"])));
        Run("show", "show", "--json", "golden1");
        Run("list", "list", "--json");
        Run("series", "series", "--json");
        Run("series-log", "series", "log", "--json");
        Run("status", "status", "--json");
        Run("hooks-status", "hooks", "status", "--json");
        Run("gc", "gc", "--json", "--dry-run", "--max-age", "now");
        Run("config", "config", "--json");
        // This machine's kernel: its release and whether it takes livepatches are this machine's.
        Run("view", "view", "--json");

        // A trial and an apply as try and apply record them, which only a VM or a live kernel makes here.
        var post = repo.Git("rev-parse", UpdateStore.RefPrefix + "golden1").Trim();
        repo.Git("notes", "--ref", UpdateStore.NotesRef, "append", "-m", $"{TrialRecord.Kind}: golden1\nwhen: 2026-12-01T10:00:00Z\nresult: failed\n" +
            "time: 9.5 s\nkernel: 6.1.0-test\nfailure: the check failed while applied\nlog: /var/tmp/serial.log", post);
        repo.Git("notes", "--ref", UpdateStore.NotesRef, "append", "-m", "ksplice-applied: golden1\nhost: build1\nkernel: 6.1.0-test\nwhen: 2026-12-01T11:00:00Z\nresult: applied", post);
        Run("show-tried-live", "show", "--json", "golden1");
        Run("list-live", "list", "--json");
        // gc removes the manifest's copy: show then says what the note says.
        Run("gc-done", "gc", "--json", "--max-age", "now");
        Run("show-without-manifest", "show", "--json", "golden1");

        var compiler = Manifest.FromJson(outputs.Single(o => o.Name == "manifest").Json, "manifest.json").Compiler;
        (string, string)[] places = [(repo.Root, "<repo>"), (compiler, "<compiler>")];
        Golden.Check(outputs.Select(o => (o.Name + ".json",
            Golden.Normalise(o.Json, places, "bytes", "freedBytes", "totalBytes", "elapsedSeconds", "stageElapsedSeconds", "pid", "release", "livepatch", "host"))));
    }
}
