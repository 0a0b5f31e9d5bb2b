using System.Text.RegularExpressions;
using GitKsplice.Tests.Kstuff.Delivery;
using GitKsplice.Tests.Support;

namespace GitKsplice.Tests.Kstuff;

/// <summary>
/// The --json output of git kstuff, pinned as git pins its porcelain: every key, its order, the wire names
/// of every enum value and the shape of every time. What differs from run to run (commits, paths of the
/// temporary world, hashes, sizes, times) is replaced by a placeholder once its shape is checked.
/// </summary>
[Trait(TestCategory.Name, TestCategory.EndToEnd)]
public partial class GoldenJsonTests
{
    private static void Ok(RunResult r) => Assert.True(r.ExitCode == 0, $"exit {r.ExitCode}\n{r.All}");

    private static string Normalize(string json, DeliveryWorld w)
    {
        var text = json.Replace(w.TargetRoot, "<target>").Replace(w.Root, "<root>").Replace(w.Home, "<home>");
        text = Sha256().Replace(text, "<sha256>");
        text = Commit().Replace(text, "<commit>");
        text = Time().Replace(text, "\"<time>\"");
        return Size().Replace(text, "\"size\": <size>");
    }

    private static void AssertGolden(string golden, RunResult run, DeliveryWorld w)
    {
        Ok(run);
        var actual = Normalize(run.StdOut, w);
        Assert.True(golden.ReplaceLineEndings("\n").TrimEnd() == actual.TrimEnd(), "the --json output changed:\n" + actual);
    }

    [Fact]
    public void Bundle_and_bundles()
    {
        using var w = new DeliveryWorld();
        AssertGolden(BundleGolden, w.Kstuff(["bundle", "--json"], viaSsh: false), w);
        AssertGolden(BundlesGolden, w.Kstuff(["bundles", "--json"], viaSsh: false), w);
    }

    [Fact]
    public void Log_of_a_good_and_a_failed_delivery()
    {
        using var w = new DeliveryWorld();
        Ok(w.Kstuff(["-bq", $"local:{w.TargetRoot}:good"], viaSsh: false));
        Assert.Equal(1, w.Kstuff(["-bq", "-t", "nosuch", $"local:{w.TargetRoot}:bad"], viaSsh: false).ExitCode);
        AssertGolden(LogGolden, w.Kstuff(["log", "--json"], viaSsh: false), w);
    }

    [Fact]
    public void Merge()
    {
        using var w = new DeliveryWorld();
        AssertGolden(MergeGolden, w.Kstuff(["merge", "-n", "newdrv", Path.Combine(w.Root, DeliveryWorld.Mach), w.TargetRoot, "--json"], viaSsh: false), w);
    }

    private const string BundleGolden = """
        {
          "outcome": "built",
          "path": "<root>/i386at/etc/conf/kstuff.d/bundle.Z",
          "reason": "no bundle yet",
          "commit": "<commit>",
          "database": null,
          "bundle": {
            "path": "<root>/i386at/etc/conf/kstuff.d/bundle.Z",
            "sha256": "<sha256>",
            "size": <size>,
            "time": "<time>",
            "root": "<root>",
            "mach": "i386at",
            "idtools": false,
            "files": 16,
            "drivers": [
              "foo",
              "ktest",
              "newdrv",
              "srcdrv"
            ]
          }
        }
        """;

    private const string BundlesGolden = """
        [
          {
            "commit": "<commit>",
            "state": "present",
            "bundle": {
              "path": "<root>/i386at/etc/conf/kstuff.d/bundle.Z",
              "sha256": "<sha256>",
              "size": <size>,
              "time": "<time>",
              "root": "<root>",
              "mach": "i386at",
              "idtools": false,
              "files": 16,
              "drivers": [
                "foo",
                "ktest",
                "newdrv",
                "srcdrv"
              ]
            }
          }
        ]
        """;

    private const string LogGolden = """
        [
          {
            "commit": "<commit>",
            "bundle": "<root>/i386at/etc/conf/kstuff.d/bundle.Z",
            "target": "local:<target>",
            "kname": "good",
            "mode": "normal",
            "time": "<time>",
            "ok": true,
            "result": "ok",
            "failedStep": null,
            "error": null,
            "drivers": [
              "foo",
              "hwonly",
              "ktest"
            ]
          },
          {
            "commit": "<commit>",
            "bundle": "<root>/i386at/etc/conf/kstuff.d/bundle.Z",
            "target": "local:<target>",
            "kname": "bad",
            "mode": "normal",
            "time": "<time>",
            "ok": false,
            "result": "failed",
            "failedStep": "reading-configuration",
            "error": "reading the configuration failed on local:<target>: exit status 3",
            "drivers": []
          }
        ]
        """;

    private const string MergeGolden = """
        {
          "output": null,
          "drivers": [
            {
              "name": "foo",
              "sourceName": "foo",
              "fate": "merged",
              "incorporated": true,
              "reason": "in both: Master and Node from the source, System from the target; majors from the target: character 40 -> 41",
              "majorChanges": [
                {
                  "type": "c",
                  "from": "40",
                  "to": "41"
                }
              ]
            },
            {
              "name": "hwonly",
              "sourceName": null,
              "fate": "target-only-kept",
              "incorporated": true,
              "reason": "only in the target, a hardware driver: kept",
              "majorChanges": []
            },
            {
              "name": "ktest",
              "sourceName": "ktest",
              "fate": "source-only-included",
              "incorporated": true,
              "reason": "only in the source, a kerntp driver: incorporated",
              "majorChanges": []
            },
            {
              "name": "newdrv",
              "sourceName": "newdrv",
              "fate": "source-only-included",
              "incorporated": true,
              "reason": "only in the source, named by -n: incorporated",
              "majorChanges": []
            },
            {
              "name": "srcdrv",
              "sourceName": "srcdrv",
              "fate": "source-only-left-out",
              "incorporated": false,
              "reason": "only in the source, neither kerntp nor required nor named by -n/-Y/-N: left out",
              "majorChanges": []
            },
            {
              "name": "swonly",
              "sourceName": null,
              "fate": "target-only-dropped",
              "incorporated": false,
              "reason": "only in the target, not a hardware driver: left out",
              "majorChanges": []
            }
          ],
          "warnings": [],
          "sourceOnlyIncluded": [
            "ktest",
            "newdrv"
          ]
        }
        """;

    [GeneratedRegex("[0-9a-f]{64}")]
    private static partial Regex Sha256();

    [GeneratedRegex("[0-9a-f]{40}")]
    private static partial Regex Commit();

    [GeneratedRegex(@"""\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ""")]
    private static partial Regex Time();

    [GeneratedRegex(@"""size"": \d+")]
    private static partial Regex Size();
}
