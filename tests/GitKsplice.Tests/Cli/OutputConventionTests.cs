using System.Text.Json;
using GitKsplice.Kstuff.Options;
using GitKsplice.Settings;
using GitKsplice.Tests.Support;

namespace GitKsplice.Tests.Cli;

/// <summary>git's output conventions on real repositories: --json, -q, colour rules, error lines, config keys.</summary>
[Trait(TestCategory.Name, TestCategory.EndToEnd)]
public sealed class OutputConventionTests
{
    private static readonly (string, string?) ColourAllowed = ("NO_COLOR", null);
    /// <summary>A colour escape (SGR); .NET itself writes other escapes to a terminal.</summary>
    private const string Sgr = @"\x1b\[[0-9;]*m";

    private static RunResult Run(TestRepo repo, string[] args, params (string Key, string? Value)[] env) =>
        ProcessRunner.Run(repo.Root, "git", args, env.ToDictionary(e => e.Key, e => e.Value));

    [Fact]
    public void State_commands_print_json_a_parser_reads_and_quiet_create_prints_nothing()
    {
        using var repo = CTree.Create();
        repo.Write("greet.c", CTree.Greet.Replace("return printf(\"hello, %s\\n\", name);", "return printf(\"hello, %s\\n\", name) + 1;") + "\n");
        var fix = repo.Commit("greeting fix");

        var create = repo.Ksplice("create", "-q", "--id", "fix01", fix);
        Assert.True(create.ExitCode == 0, create.All);
        Assert.Equal("", create.StdOut);
        Assert.Equal("", create.StdErr);

        using var list = JsonDocument.Parse(repo.Ksplice("list", "--json").StdOut);
        var entry = Assert.Single(list.RootElement.EnumerateArray());
        Assert.Equal("fix01", entry.GetProperty("id").GetString());
        Assert.Equal(fix, entry.GetProperty("post").GetString());

        using var show = JsonDocument.Parse(repo.Ksplice("show", "--json", "fix01").StdOut);
        Assert.Equal("fix01", show.RootElement.GetProperty("id").GetString());
        Assert.Contains(show.RootElement.GetProperty("objects").EnumerateArray(),
            o => o.GetProperty("changed").EnumerateArray().Any(f => f.GetString() == "greet"));

        using var series = JsonDocument.Parse(repo.Ksplice("series", "--json").StdOut);
        Assert.Equal("fix01", series.RootElement.GetProperty("updates")[0].GetProperty("id").GetString());
        using var log = JsonDocument.Parse(repo.Ksplice("series", "log", "--json").StdOut);
        Assert.NotEmpty(log.RootElement.EnumerateArray());
        using var config = JsonDocument.Parse(repo.Ksplice("config", "--json").StdOut);
        Assert.NotEmpty(config.RootElement.GetProperty("keys").EnumerateArray());
        using var bundles = JsonDocument.Parse(repo.Kstuff("bundles", "--json").StdOut);
        Assert.Equal(JsonValueKind.Array, bundles.RootElement.ValueKind);

        // Porcelain: the verdict is green only where colour is allowed.
        var always = Run(repo, ["-c", "color.ui=always", "ksplice", "list"], ColourAllowed);
        Assert.Contains("\x1b[32mhot-patchable", always.StdOut);
        Assert.DoesNotMatch(Sgr, Run(repo, ["-c", "color.ui=always", "ksplice", "list"], ("NO_COLOR", "1")).StdOut);
        Assert.DoesNotMatch(Sgr, Run(repo, ["ksplice", "list"], ColourAllowed).StdOut);
        Assert.DoesNotMatch(Sgr, Run(repo, ["-c", "color.ksplice=never", "-c", "color.ui=always", "ksplice", "show", "fix01"], ColourAllowed).StdOut);
    }

    [Fact]
    public void Colour_appears_on_a_terminal_unless_NO_COLOR_is_set()
    {
        using var repo = new TestRepo();
        repo.Git("config", "ksplice.jobs", "3");
        // script(1) gives the command a terminal for its standard output.
        var onTerminal = ProcessRunner.Run(repo.Root, "script", ["-qec", "git ksplice config", "/dev/null"], new Dictionary<string, string?> { ["NO_COLOR"] = null, ["TERM"] = "xterm", ["GIT_PAGER"] = "cat" });
        Assert.True(onTerminal.ExitCode == 0, onTerminal.All);
        Assert.Contains("\x1b[33m3\x1b[m", onTerminal.StdOut);
        var noColor = ProcessRunner.Run(repo.Root, "script", ["-qec", "git ksplice config", "/dev/null"], new Dictionary<string, string?> { ["NO_COLOR"] = "1", ["TERM"] = "xterm", ["GIT_PAGER"] = "cat" });
        Assert.Contains("ksplice.jobs", noColor.StdOut);
        Assert.DoesNotMatch(Sgr, noColor.StdOut);
    }

    /// <summary>Commands that read state, by name, wherever they sit in either tool's tree.</summary>
    private static readonly string[] ReadsState = ["list", "show", "series", "log", "status", "bundles", "config", "diff-objects", "merge"];

    [Fact]
    public void Every_command_that_reads_state_takes_json()
    {
        var checkedCommands = new List<string>();
        foreach (var tool in new[] { "git-ksplice", "git-kstuff" })
        {
            var exe = Path.Combine(ProcessRunner.ToolDirectory, tool);
            List<string> Complete(params string[] words) =>
                ProcessRunner.Run(ProcessRunner.ToolDirectory, exe, words is ["--commands"] ? ["__complete", "--commands"] : ["__complete", "--", .. words]).StdOut
                    .Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();
            var commands = Complete("--commands");
            Assert.NotEmpty(commands);
            foreach (var path in commands.Select(c => c.Split(' ')).Where(p => ReadsState.Contains(p[^1])))
            {
                Assert.True(Complete([.. path, "--j"]).Contains("--json"), $"{tool} {string.Join(' ', path)} has no --json");
                checkedCommands.Add($"{tool} {string.Join(' ', path)}");
            }
        }
        Assert.Contains("git-ksplice series log", checkedCommands);
        Assert.Contains("git-kstuff bundles", checkedCommands);
    }

    [Fact]
    public void Builds_show_progress_on_a_terminal_only()
    {
        using var repo = CTree.Create();
        repo.Write("greet.c", CTree.Greet.Replace("return printf(\"hello, %s\\n\", name);", "return printf(\"hello, %s\\n\", name) + 1;") + "\n");
        var fix = repo.Commit("greeting fix");

        var onTerminal = ProcessRunner.Run(repo.Root, "script", ["-qec", $"git ksplice create --id tty1 {fix}", "/dev/null"],
            new Dictionary<string, string?> { ["TERM"] = "xterm", ["GIT_PAGER"] = "cat" });
        Assert.True(onTerminal.ExitCode == 0, onTerminal.All);
        Assert.Matches(@"\rbuilding [^\r\n]+ \(\d+s\): (cc|gcc) ", onTerminal.StdOut);
        Assert.Contains("\r\x1b[K", onTerminal.StdOut); // the status line is cleared before the summary
        Assert.Contains("Built update tty1", onTerminal.StdOut);

        var piped = repo.Ksplice("create", "--id", "pipe1", fix);
        Assert.True(piped.ExitCode == 0, piped.All);
        Assert.DoesNotContain("\r", piped.StdErr);
        Assert.DoesNotContain("\x1b[", piped.StdErr);
    }

    [Fact]
    public void Config_lists_every_key_with_default_and_current_value_and_flags_typos()
    {
        using var repo = new TestRepo();
        repo.Git("config", "ksplice.jobs", "3");
        repo.Git("config", "--add", "ksplice.modules", "*.ko");
        repo.Git("config", "--add", "ksplice.modules", "drivers/*.o");
        repo.Git("config", "ksplice.buildComand", "make vmlinux");

        var r = repo.Ksplice("config", "--json");
        Assert.True(r.ExitCode == 0, r.All);
        using var json = JsonDocument.Parse(r.StdOut);
        var keys = json.RootElement.GetProperty("keys").EnumerateArray().ToDictionary(k => k.GetProperty("key").GetString()!);
        Assert.Equal(KspliceConfigKeys.All.Select(k => k.Name), keys.Keys);
        Assert.Equal("make", keys["ksplice.buildCommand"].GetProperty("default").GetString());
        Assert.Empty(keys["ksplice.buildCommand"].GetProperty("values").EnumerateArray());
        var jobs = Assert.Single(keys["ksplice.jobs"].GetProperty("values").EnumerateArray());
        Assert.Equal("3", jobs.GetProperty("value").GetString());
        Assert.Equal("local", jobs.GetProperty("scope").GetString());
        Assert.Equal(["*.ko", "drivers/*.o"], keys["ksplice.modules"].GetProperty("values").EnumerateArray().Select(v => v.GetProperty("value").GetString()));
        Assert.Equal("ksplice.buildcomand", json.RootElement.GetProperty("unknown")[0].GetProperty("key").GetString());

        var text = repo.Ksplice("config");
        Assert.Matches(@"ksplice\.buildCommand\s+\(default: make\)", text.StdOut);
        Assert.Matches(@"ksplice\.jobs\s+3\s+\(local\)", text.StdOut);
        Assert.Contains("warning: unknown key ksplice.buildcomand", text.StdErr);

        var kstuff = repo.Kstuff("config");
        Assert.True(kstuff.ExitCode == 0, kstuff.All);
        Assert.Matches(@"kstuff\.sshCommand\s+\(default: ssh\)", kstuff.StdOut);
    }

    [Fact]
    public void Errors_are_one_fatal_line_and_usage_errors_exit_129()
    {
        using var repo = new TestRepo();
        repo.Write("a", "a\n");
        repo.Commit("a");
        var missing = repo.Ksplice("show", "nosuch");
        Assert.Equal(1, missing.ExitCode);
        Assert.Equal("", missing.StdOut);
        Assert.Matches(@"^fatal: [^\n]*nosuch[^\n]*\n$", missing.StdErr);

        var usage = repo.Ksplice("create", "--jobs", "many");
        Assert.Equal(129, usage.ExitCode);
        Assert.StartsWith("error: ", usage.StdErr);
    }
}

/// <summary>Every git config key the code reads is documented (git ksplice config, the manual pages).</summary>
public sealed class ConfigKeyCatalogTests
{
    [Fact]
    public void Every_key_the_sources_name_is_in_the_catalog()
    {
        var documented = KspliceConfigKeys.All.Concat(KstuffConfigKeys.All)
            .Select(k => k.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
        // File and directory names that look like keys: kstuff.d (the bundle's directory), .kstuff.rc.
        string[] notKeys = ["kstuff.d", "kstuff.rc"];
        var named = Directory.GetFiles(Path.Combine(InstalledTools.RepositoryRoot, "src"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}"))
            .SelectMany(f => System.Text.RegularExpressions.Regex.Matches(File.ReadAllText(f), "\"(k(?:splice|stuff)\\.[A-Za-z][A-Za-z.]*)\"")
                .Select(m => m.Groups[1].Value))
            .Where(k => !notKeys.Contains(k))
            .ToHashSet();
        Assert.Contains("ksplice.buildCommand", named);
        Assert.Subset(documented, named);
    }
}
