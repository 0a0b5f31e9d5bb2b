using GitKsplice.Tests.Kstuff.Delivery;
using GitKsplice.Tests.Support;

namespace GitKsplice.Tests.Kstuff;

/// <summary>
/// The --json output of git kstuff, whole and normalised (<see cref="Golden"/>) against Kstuff/Golden/&lt;name&gt;.json:
/// every key, its order, the wire names of every enum value and the shape of every time.
/// </summary>
[Trait(TestCategory.Name, TestCategory.EndToEnd)]
public class GoldenJsonTests
{
    private static string Output(RunResult run, DeliveryWorld w)
    {
        Assert.True(run.ExitCode == 0, $"exit {run.ExitCode}\n{run.All}");
        return Golden.Normalise(run.StdOut, [(w.TargetRoot, "<target>"), (w.Root, "<root>"), (w.Home, "<home>"), (w.Repo.Root, "<repo>")], "size");
    }

    [Fact]
    public void Bundle_and_bundles()
    {
        using var w = new DeliveryWorld();
        Golden.Check([
            ("bundle.json", Output(w.Kstuff(["bundle", "--json"], viaSsh: false), w)),
            ("bundles.json", Output(w.Kstuff(["bundles", "--json"], viaSsh: false), w)),
            ("bundle-up-to-date.json", Output(w.Kstuff(["bundle", "--json"], viaSsh: false), w)),
        ]);
    }

    [Fact]
    public void Log_of_a_good_and_a_failed_delivery()
    {
        using var w = new DeliveryWorld();
        Assert.Equal(0, w.Kstuff(["-bq", $"local:{w.TargetRoot}:good"], viaSsh: false).ExitCode);
        Assert.Equal(1, w.Kstuff(["-bq", "-t", "nosuch", $"local:{w.TargetRoot}:bad"], viaSsh: false).ExitCode);
        Golden.Check("log.json", Output(w.Kstuff(["log", "--json"], viaSsh: false), w));
    }

    [Fact]
    public void Merge()
    {
        using var w = new DeliveryWorld();
        Golden.Check("merge.json", Output(w.Kstuff(["merge", "-n", "newdrv", Path.Combine(w.Root, DeliveryWorld.Mach), w.TargetRoot, "--json"], viaSsh: false), w));
    }

    [Fact]
    public void Config()
    {
        using var w = new DeliveryWorld();
        Golden.Check("config.json", Output(w.Kstuff(["config", "--json"], viaSsh: false), w));
    }
}
