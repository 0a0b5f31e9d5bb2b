using GitKsplice.Reporting;
using GitKsplice.Settings;
using GitKsplice.Tests.Support;

namespace GitKsplice.Tests.Cli;

/// <summary>Both tools rank a setting's sources alike: the command line, then the environment, then git config, then the default.</summary>
[Trait(TestCategory.Name, TestCategory.EndToEnd)]
public class SettingsPrecedenceTests
{
    [Fact]
    public void Ksplice_jobs_come_from_the_option_then_CONCURRENCY_LEVEL_then_ksplice_jobs()
    {
        using var repo = CTree.Create();
        repo.Git("config", "ksplice.buildCommand", "echo \"jobs: $MAKEFLAGS\" && make");
        repo.Git("config", "ksplice.jobs", "3");
        string Jobs(string id, Dictionary<string, string?> env, params string[] options)
        {
            repo.Write("greet.c", CTree.Greet.Replace("return printf(\"hello, %s\\n\", name);", $"return printf(\"hello, %s\\n\", name) + {id.Length + env.Count + options.Length};") + "\n");
            var commit = repo.Commit("change " + id);
            var r = ProcessRunner.Run(repo.Root, "git", ["ksplice", "create", "--id", id, .. options, commit], env);
            Assert.True(r.ExitCode == 0, r.All);
            return File.ReadAllLines(repo.Path($".git/ksplice/logs/post-{id}.log")).First(l => l.StartsWith("jobs: ", StringComparison.Ordinal));
        }

        Assert.Equal("jobs: -j3", Jobs("config", new() { ["CONCURRENCY_LEVEL"] = null }));
        Assert.Equal("jobs: -j5", Jobs("environment", new() { ["CONCURRENCY_LEVEL"] = "5" }));
        Assert.Equal("jobs: -j7", Jobs("option", new() { ["CONCURRENCY_LEVEL"] = "5" }, "--jobs", "7"));
    }

    [Fact]
    public void Kstuff_root_comes_from_the_option_then_ROOT_then_kstuff_root()
    {
        using var repo = new TestRepo();
        repo.Write("README", "x\n");
        repo.Commit("one");
        repo.Git("config", "kstuff.root", "/from/config");
        repo.Git("config", "kstuff.mach", "m1");
        string Tree(Dictionary<string, string?> env, params string[] options)
        {
            var r = ProcessRunner.Run(repo.Root, "git", ["kstuff", "bundle", .. options], env);
            Assert.Equal(1, r.ExitCode);
            return r.StdErr.Trim();
        }

        Assert.Equal("fatal: no kernel build tree at '/from/config/m1' ($ROOT/$MACH)", Tree(new() { ["ROOT"] = null, ["MACH"] = null }));
        Assert.Equal("fatal: no kernel build tree at '/from/env/m1' ($ROOT/$MACH)", Tree(new() { ["ROOT"] = "/from/env", ["MACH"] = null }));
        Assert.Equal("fatal: no kernel build tree at '/from/option/m1' ($ROOT/$MACH)", Tree(new() { ["ROOT"] = "/from/env", ["MACH"] = null }, "--root", "/from/option"));
    }

    [Fact]
    public void A_configuration_git_cannot_read_is_an_error_not_the_defaults()
    {
        using var repo = new TestRepo();
        File.AppendAllText(repo.Path(".git/config"), "[ksplice\n");
        var e = Assert.Throws<UserError>(() => ConfigSnapshot.Read(repo.Root));
        Assert.Contains("bad config line", e.Message);
        Assert.NotEqual(0, repo.Ksplice("create", "--prebuild").ExitCode);
    }
}
