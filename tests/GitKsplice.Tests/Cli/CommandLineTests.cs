using System.Diagnostics;
using GitKsplice.Cli;
using GitKsplice.Cli.Commands;
using GitKsplice.Reporting;
using GitKsplice.Tests.Support;

namespace GitKsplice.Tests.Cli;

/// <summary>
/// Commands run in this process through the runner, each with its own context: the output captured, the
/// working directory given, nothing of the process's own console or directory touched.
/// </summary>
public class CommandLineTests
{
    private sealed record Run(int Exit, string Out, string Err);

    private static Run Ksplice(string workingDirectory, params string[] args)
    {
        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        var exit = KspliceTool.Run(args, new CommandStreams(TextReader.Null, stdout, stderr), workingDirectory);
        return new Run(exit, stdout.ToString(), stderr.ToString());
    }

    private static Run Kstuff(string workingDirectory, params string[] args)
    {
        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        var exit = KstuffTool.Run(args, new CommandStreams(TextReader.Null, stdout, stderr), workingDirectory);
        return new Run(exit, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public void Series_set_moves_the_pre_ref_and_series_and_list_report_it_in_process()
    {
        using var repo = new TestRepo();
        repo.Write("a.c", "int a;\n");
        var first = repo.Commit("first");
        repo.Write("a.c", "int a = 1;\n");
        repo.Commit("second");
        var before = Directory.GetCurrentDirectory();

        var set = Ksplice(repo.Root, "series", "set", "HEAD~1");
        Assert.Equal((0, ""), (set.Exit, set.Err));
        Assert.Equal($"refs/ksplice/pre is now {first[..12]} first\n", set.Out);
        Assert.Equal(first, repo.Git("rev-parse", "refs/ksplice/pre"));

        var series = Ksplice(repo.Root, "series", "--json");
        Assert.Equal(0, series.Exit);
        Assert.Contains($"\"pre\": \"{first}\"", series.Out);

        var list = Ksplice(repo.Root, "list", "--json");
        Assert.Equal((0, "[]\n", ""), (list.Exit, list.Out, list.Err));
        // The commands found the repository from the directory they were given, not from the process's.
        Assert.Equal(before, Directory.GetCurrentDirectory());
    }

    [Fact]
    public void An_error_the_user_can_act_on_is_one_fatal_line_and_exit_1()
    {
        using var repo = new TestRepo();
        repo.Write("a.c", "int a;\n");
        repo.Commit("first");

        var show = Ksplice(repo.Root, "show", "nosuch");
        Assert.Equal((1, "", "fatal: no such update: 'nosuch'\n"), (show.Exit, show.Out, show.Err));

        using var outside = new TempDir();
        Environment.SetEnvironmentVariable("GIT_CEILING_DIRECTORIES", Path.GetDirectoryName(outside.Path));
        try
        {
            var list = Ksplice(outside.Path, "list");
            Assert.Equal((1, ""), (list.Exit, list.Out));
            Assert.StartsWith("fatal: not a git repository", list.Err);
            Assert.Single(list.Err.TrimEnd('\n').Split('\n'));
        }
        finally { Environment.SetEnvironmentVariable("GIT_CEILING_DIRECTORIES", null); }
    }

    [Fact]
    public void An_unknown_command_is_named_with_exit_1_as_git_does_even_with_help()
    {
        using var dir = new TempDir();
        foreach (var args in new[] { new[] { "nosuch" }, ["nosuch", "--help"], ["-v", "nosuch"] })
        {
            var run = Ksplice(dir.Path, args);
            Assert.Equal((1, ""), (run.Exit, run.Out));
            Assert.Equal("git ksplice: 'nosuch' is not a git ksplice command. See 'git ksplice --help'.\n", run.Err);
        }

        var typo = Ksplice(dir.Path, "stauts");
        Assert.Equal(1, typo.Exit);
        Assert.EndsWith("\nThe most similar command is\n\tstatus\n", typo.Err);

        // A known command's help still answers.
        var help = Ksplice(dir.Path, "list", "--help");
        Assert.Equal((0, ""), (help.Exit, help.Err));
        Assert.Contains("List the recorded updates", help.Out);
    }

    [Fact]
    public void A_value_that_does_not_convert_names_the_option_and_the_value()
    {
        using var dir = new TempDir();
        foreach (var (args, option, value) in new[]
        {
            (new[] { "create", "-j", "abc", "HEAD" }, "--jobs", "abc"),
            (["create", "--jobs=4x", "HEAD"], "--jobs", "4x"),
            (["status", "-n", "many"], "--count", "many"),
        })
        {
            var run = Ksplice(dir.Path, args);
            Assert.Equal((ExitCodes.Usage, ""), (run.Exit, run.Out));
            Assert.StartsWith($"error: option '{option}' expects a whole number, not '{value}'\n", run.Err);
            Assert.DoesNotContain("System.", run.Err);
        }
        var merge = Kstuff(dir.Path, "merge", "a", "b", "--max-major", "x");
        Assert.Equal(ExitCodes.Usage, merge.Exit);
        Assert.StartsWith("error: option '--max-major' expects a whole number, not 'x'\n", merge.Err);
    }

    [Fact]
    public void Kstuff_subcommands_run_in_process_and_its_delivery_takes_the_words_past_the_parser()
    {
        using var repo = new TestRepo();
        repo.Write("a.c", "int a;\n");
        repo.Commit("first");

        var bundles = Kstuff(repo.Root, "bundles", "--json");
        Assert.Equal((0, "[]\n", ""), (bundles.Exit, bundles.Out, bundles.Err));

        // The delivery's own parser reads its words: -Q without -b is its usage error.
        var quick = Kstuff(repo.Root, "-Q", "host");
        Assert.Equal((ExitCodes.Usage, ""), (quick.Exit, quick.Out));
        Assert.Equal("fatal: -Q can only be used in batch mode (-b)\n", quick.Err);
    }

    [RequiresFact(Tool.Gcc, Tool.Make)]
    public void A_cancelled_run_stops_its_build_with_the_interrupted_exit_code()
    {
        using var repo = new TestRepo();
        repo.Write("a.c", "int a;\n");
        repo.Commit("first");
        // A build that would run for minutes: the cancelled command kills it at once and says so.
        var sleep = $"sleep 300.{Random.Shared.Next(100_000, 999_999)}";
        repo.Git("config", "ksplice.buildCommand", sleep);
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();
        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        var exit = KspliceTool.Run(["create", "--prebuild"], new CommandStreams(TextReader.Null, stdout, stderr), repo.Root, cancel.Token);
        Assert.Equal((ExitCodes.Interrupted, ""), (exit, stdout.ToString()));
        Assert.EndsWith("fatal: interrupted\n", stderr.ToString());
        Assert.Equal("", ProcessRunner.Run(repo.Root, "pgrep", ["-f", sleep]).StdOut);
    }

    [RequiresFact(Tool.Gcc, Tool.Make)]
    public void Relative_paths_on_the_command_line_are_read_from_the_commands_working_directory()
    {
        using var objects = new GitKsplice.Tests.Analysis.CompiledObjects();
        var (original, patched) = objects.Pair("int add(int a, int b) { return a + b; }\n", "int add(int a, int b) { return a + b + 1; }\n");
        Assert.NotEqual(objects.Directory, Directory.GetCurrentDirectory());

        var diff = Ksplice(objects.Directory, "diff-objects", Path.GetFileName(original), Path.GetFileName(patched));
        Assert.Equal((0, ""), (diff.Exit, diff.Err));
        Assert.StartsWith("changed    add\t", diff.Out);

        // A relative --patch names a file beside the working directory given, not beside the process's.
        using var repo = new TestRepo();
        repo.Write("a.c", "int a;\n");
        repo.Commit("first");
        var missing = Ksplice(repo.Root, "create", "--patch", "fix.patch");
        Assert.Equal(ExitCodes.Error, missing.Exit);
        Assert.Contains(Path.Combine(repo.Root, "fix.patch"), missing.Err);
    }

    [Fact]
    public void Kstuffs_files_and_directories_are_read_from_the_commands_working_directory()
    {
        using var w = new GitKsplice.Tests.Kstuff.Delivery.DeliveryWorld();
        var here = w.Repo.Root;
        Assert.NotEqual(here, Directory.GetCurrentDirectory());
        string Relative(string path) => Path.GetRelativePath(here, path);
        // Every name below is relative: found only when read from the command's working directory.
        File.WriteAllText(Path.Combine(here, "kernels.db"), "/no/such/root:i386at:other.bundle:0:a kernel of another tree\n");
        File.WriteAllText(Path.Combine(here, "renames"), "ktest kernel_test\n");
        w.Repo.Git("config", "kstuff.root", Relative(w.Root));
        w.Repo.Git("config", "kstuff.mach", GitKsplice.Tests.Kstuff.Delivery.DeliveryWorld.Mach);

        var merge = Kstuff(here, "merge", "-r", "renames", Relative(w.Source.Root), Relative(w.TargetConf.Root));
        Assert.True(merge.Exit == 0, merge.Err);
        Assert.Contains("source-only-included kernel_test (source ktest): ", merge.Out);

        var bundle = Kstuff(here, "bundle", "-d", "kernels.db", "--json");
        Assert.True(bundle.Exit == 0, bundle.Err);
        Assert.Contains($"\"path\": \"{Path.Combine(w.BuildTree, "etc/conf/kstuff.d/bundle.Z")}\"", bundle.Out);

        var deliver = Kstuff(here, "-bq", "-d", "kernels.db", "-r", "renames", $"local:{Relative(w.TargetRoot)}:img");
        Assert.True(deliver.Exit == 0, deliver.Err);
        Assert.StartsWith("KERNEL\n", w.ReadTarget("stand/img"));
        Assert.True(File.Exists(w.Target("etc/conf.img/pack.d/kernel_test/Driver.o")), "the rename file was read");
    }
}
