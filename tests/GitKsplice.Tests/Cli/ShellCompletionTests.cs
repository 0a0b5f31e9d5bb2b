using GitKsplice.Tests.Support;

namespace GitKsplice.Tests.Cli;

/// <summary>
/// Tab completion of "git ksplice" and "git kstuff" after ./install.sh, through the real shells: bash with
/// bash-completion and git's own completion (which must find _git_ksplice by itself), zsh's _git, fish's git
/// completion, and a terminal (tmux) for the keystrokes.
/// </summary>
[Trait(TestCategory.Name, TestCategory.Installed)]
[Collection(InstalledToolsCollection.Name)]
public sealed class ShellCompletionTests(InstalledTools tools) : IDisposable
{
    private readonly TestRepo _repo = CompletionRepo();
    private readonly TempDir _scratch = new();

    private static TestRepo CompletionRepo()
    {
        var repo = new TestRepo();
        repo.Write("a.c", "int a;\n");
        repo.Write("fixes/cve.patch", "--- a/a.c\n");
        repo.Commit("first");
        repo.Git("branch", "feature-x");
        repo.Git("tag", "v1.0");
        repo.Git("update-ref", "refs/ksplice/updates/fix01", "HEAD");
        repo.Git("update-ref", "refs/ksplice/updates/fix02", "HEAD");
        repo.Git("update-ref", "refs/ksplice/updates/hotfix9", "HEAD");
        return repo;
    }

    private void WriteSshConfig()
    {
        var ssh = Path.Combine(tools.Home, ".ssh");
        Directory.CreateDirectory(ssh);
        File.WriteAllText(Path.Combine(ssh, "config"), "Host lab1 lab2\n  User root\nHost *.wild !nope\nInclude extra.conf\n");
        File.WriteAllText(Path.Combine(ssh, "extra.conf"), "Host lab3\n  Port 2222\n");
    }

    /// <summary>What bash offers for the line (the cursor at its end), as readline would receive it.</summary>
    private List<string> Bash(string line, string? workDir = null)
    {
        var script = _scratch.Write("complete.bash", """
            source /usr/share/bash-completion/bash_completion
            line=$1
            read -ra COMP_WORDS <<<"$line"
            [[ $line == *" " ]] && COMP_WORDS+=("")
            COMP_LINE=$line COMP_POINT=${#line} COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
            cmd=${COMP_WORDS[0]}
            # What bash does on the first TAB for a command: bash-completion loads its completion on demand.
            _completion_loader "$cmd"
            fn=$(complete -p "$cmd" | sed -E 's/.* -F ([^ ]+) .*/\1/')
            COMPREPLY=()
            "$fn" "$cmd" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
            printf '%s\n' "${COMPREPLY[@]}"
            """);
        var r = tools.Run(workDir ?? _repo.Root, "bash", [script, line]);
        Assert.True(r.ExitCode == 0, r.All);
        return r.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();
    }

    [Fact]
    public void Bash_completes_subcommands_through_gits_own_completion()
    {
        Assert.Equal(["create "], Bash("git ksplice cr"));
        Assert.Equal(["set ", "advance ", "log "], Bash("git ksplice series "));
        var kstuff = Bash("git kstuff ");
        Assert.Contains("bundle ", kstuff);
        Assert.Contains("merge ", kstuff);
        Assert.Contains("config ", kstuff);
        Assert.DoesNotContain(kstuff, c => c.StartsWith("__"));
    }

    [Fact]
    public void Bash_completes_options_and_flags_take_no_value()
    {
        Assert.Equal(["--patch ", "--patch-opt "], Bash("git ksplice create --pa"));
        Assert.Contains("--build-modules ", Bash("git ksplice create --json --b"));
        Assert.Contains("--json ", Bash("git ksplice list --"));
    }

    [Fact]
    public void Bash_completes_refs_and_ranges_for_commit_arguments()
    {
        Assert.Equal(["feature-x "], Bash("git ksplice create fea"));
        Assert.Equal(["main..feature-x "], Bash("git ksplice create main..fe"));
        Assert.Contains("v1.0 ", Bash("git ksplice series set v"));
    }

    [Fact]
    public void Bash_completes_update_ids_for_show_and_series_advance()
    {
        Assert.Equal(["fix01 ", "fix02 "], Bash("git ksplice show fix"));
        Assert.Equal(["fix01 ", "fix02 ", "hotfix9 "], Bash("git ksplice series advance "));
    }

    [Fact]
    public void Bash_completes_files_for_file_options()
    {
        Assert.Equal(["fixes"], Bash("git ksplice create --patch fi"));
        Assert.Equal(["fixes/cve.patch"], Bash("git ksplice create --patch fixes/"));
    }

    [Fact]
    public void Bash_completes_driver_names_from_the_source_tree()
    {
        var drivers = _scratch["source/mdevice.d"];
        Directory.CreateDirectory(drivers);
        foreach (var d in new[] { "ktest", "kd", "asyc" }) File.WriteAllText(Path.Combine(drivers, d), "$version 2\n");
        Assert.Equal(["kd ", "ktest "], Bash($"git kstuff merge {_scratch["source"]} /tmp/target -n k"));
        Assert.Equal(["asyc "], Bash($"git kstuff merge {_scratch["source"]} /tmp/target -Y a"));
    }

    [Fact]
    public void Bash_completes_target_hosts_from_ssh_config_and_kstuffs_own_options()
    {
        WriteSshConfig();
        Assert.Equal(["lab1 ", "lab2 ", "lab3 "], Bash("git kstuff la"));
        Assert.Equal(["lab1 ", "lab2 ", "lab3 "], Bash("git kstuff -b -t unix la"));
        var options = Bash("git kstuff -");
        foreach (var option in new[] { "-b ", "-Q ", "-n ", "-N ", "-Y ", "-c ", "--target-root " })
            Assert.Contains(option, options);
        Assert.Equal(["fixes"], Bash("git kstuff -r fi"));

        // -n/-N/-Y name drivers of the tree being delivered, $ROOT/$MACH.
        var master = _scratch["cross/i386at/etc/conf/mdevice.d"];
        Directory.CreateDirectory(master);
        foreach (var d in new[] { "ktest", "kd", "asyc" }) File.WriteAllText(Path.Combine(master, d), "$version 2\n");
        _repo.Git("config", "kstuff.root", _scratch["cross"]);
        _repo.Git("config", "kstuff.mach", "i386at");
        Assert.Equal(["kd ", "ktest "], Bash("git kstuff -b -n k"));
    }

    [Fact]
    public void Bash_completes_the_executables_called_directly()
    {
        Assert.Equal(["series ", "setup "], Bash("git-ksplice se"));
        Assert.Equal(["bundle ", "bundles "], Bash("git-kstuff bun"));
    }

    [Fact]
    public void Fish_completes_through_its_git_completion()
    {
        Assert.Equal(["create"], Fish("git ksplice cr"));
        Assert.Equal(["advance", "log", "set"], Fish("git ksplice series ").Order(StringComparer.Ordinal));
        Assert.Equal(["fix01", "fix02"], Fish("git ksplice show fix"));
        Assert.Equal(["feature-x"], Fish("git ksplice create fea"));
        Assert.Equal(["bundle", "bundles"], Fish("git-kstuff bun"));
    }

    private List<string> Fish(string line)
    {
        var r = tools.Run(_repo.Root, "fish", ["-c", $"complete -C '{line}'"]);
        Assert.True(r.ExitCode == 0, r.All);
        return r.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('\t')[0]).ToList();
    }

    [Fact]
    public void Zsh_completes_in_a_terminal()
    {
        // ~/.zshrc as install.sh told the user: its site-functions on fpath before compinit.
        File.WriteAllText(Path.Combine(tools.Home, ".zshrc"),
            $"fpath=({tools.Prefix}/share/zsh/site-functions $fpath)\nautoload -Uz compinit && compinit -u\nPROMPT='%% '\n");
        Assert.Contains("fpath=(" + tools.Prefix + "/share/zsh/site-functions", tools.InstallOutput);
        using var terminal = new Terminal(tools, _repo.Root, "zsh", "-i");
        terminal.WaitFor("%");
        terminal.Type("git ksplice cr\t");
        terminal.WaitFor("% git ksplice create");
        terminal.Type("--ser\t");
        terminal.WaitFor("% git ksplice create --series");
        terminal.Type("\x15git ksplice series \t");
        terminal.WaitFor("advance");
        terminal.WaitFor("set");
        terminal.Key("C-c", "%");
        terminal.Type("git ksplice show ho\t");
        terminal.WaitFor("% git ksplice show hotfix9");
    }

    [Fact]
    public void Bash_completes_in_a_terminal()
    {
        // A fresh interactive bash that enables bash-completion as Debian's ~/.bashrc does; nothing of ours is sourced.
        File.WriteAllText(Path.Combine(tools.Home, ".bashrc"), "source /usr/share/bash-completion/bash_completion\nPS1='$ '\n");
        using var terminal = new Terminal(tools, _repo.Root, "bash", "-i");
        terminal.WaitFor("$");
        terminal.Type("git ksplice cr\t");
        terminal.WaitFor("$ git ksplice create");
        terminal.Type("--ser\t");
        terminal.WaitFor("$ git ksplice create --series");
        terminal.Key("C-c", "$");
        terminal.Type("git ksplice show ho\t");
        terminal.WaitFor("$ git ksplice show hotfix9");
    }

    public void Dispose()
    {
        _repo.Dispose();
        _scratch.Dispose();
    }
}
