using System.Text;
using System.Text.Json;
using GitKsplice.Processes;
using GitKsplice.Tests.Support;
using GitKsplice.Transport;

namespace GitKsplice.Tests.Live;

/// <summary>
/// ksplice.remoteSudo against the real sshd on 127.0.0.1, logging in as accounts that are not root with the real
/// sudo of this machine (<see cref="TestAccounts"/>): refused without it; with it the steps run as root through
/// sudo -n; a sudo that wants a password is one line, never a wait. This machine's kernel has no livepatch, so an
/// apply that passes the root check is refused at the next one.
/// </summary>
[Trait(TestCategory.Name, TestCategory.Ssh)]
[Collection(SshCollection.Name)]
public class LiveSudoTests(SshServer sshd)
{
    private static readonly string SudoLogin = TestAccounts.Login(TestAccounts.Sudo);
    private static readonly string PasswordLogin = TestAccounts.Login(TestAccounts.Password);

    private TestRepo Repo(bool remoteSudo)
    {
        var repo = CTree.Create();
        repo.Git("config", "ksplice.sshCommand", sshd.SshCommand);
        if (remoteSudo) repo.Git("config", "ksplice.remoteSudo", "true");
        return repo;
    }

    /// <summary>A recorded update of the C tree and a module-shaped tarball of it for this machine's kernel release.</summary>
    private static (string Post, string Tarball) Update(TestRepo repo, TempDir dir, string id)
    {
        repo.Write("greet.c", CTree.Greet.Replace("return printf(\"hello, %s\\n\", name);", "return printf(\"hello, %s\\n\", name) + 1;"));
        var post = repo.Commit("greet: one more");
        var r = repo.Ksplice("create", "--id", id, post);
        Assert.True(r.ExitCode == 0, r.All);
        return (post, ModuleShapedUpdate.Write(dir.Path, id, ThisKernel.Release, post));
    }

    [Fact]
    public void Without_remoteSudo_a_login_that_is_not_root_is_refused_in_one_line_and_recorded()
    {
        var uid = TestAccounts.Uid(TestAccounts.Sudo);
        using var repo = Repo(remoteSudo: false);
        using var dir = new TempDir();
        var (post, tarball) = Update(repo, dir, "sudo01");
        var refusal = $"not root on {SudoLogin} (uid {uid}): log in as root, or set ksplice.remoteSudo to run the steps with sudo -n";

        var apply = repo.Ksplice("apply", "--config", dir["config"], tarball, SudoLogin);

        Assert.Equal(1, apply.ExitCode);
        Assert.Equal($"error: {refusal}\n", apply.StdErr);
        Assert.Equal($"refused root: {refusal}\n", apply.StdOut);
        Assert.Contains($"ksplice-applied: sudo01\nhost: {SudoLogin}\nkernel: {ThisKernel.Release}\n", repo.Git("notes", "--ref", "ksplice", "show", post));
        Assert.Contains($"result: refused\nfailure: {refusal}", repo.Git("notes", "--ref", "ksplice", "show", post));

        var undo = repo.Ksplice("undo", "sudo01", SudoLogin);
        Assert.Equal(1, undo.ExitCode);
        Assert.Equal($"fatal: {refusal}\n", undo.StdErr);
    }

    [Fact]
    public void With_remoteSudo_the_root_check_passes_as_root_through_sudo()
    {
        var uid = TestAccounts.Uid(TestAccounts.Sudo);
        using var repo = Repo(remoteSudo: true);
        using var dir = new TempDir();
        var (post, tarball) = Update(repo, dir, "sudo02");
        var note = repo.Git("notes", "--ref", "ksplice", "show", post);

        var dry = repo.Ksplice("apply", "--dry-run", "--json", "--config", dir["config"], tarball, SudoLogin);

        using var doc = JsonDocument.Parse(dry.StdOut);
        var checks = doc.RootElement.GetProperty("checks").EnumerateArray().ToList();
        // The root check ran id -u on the target through sudo -n and read 0 back.
        Assert.Equal("root", checks[0].GetProperty("name").GetString());
        Assert.True(checks[0].GetProperty("passed").GetBoolean(), dry.All);
        Assert.Equal($"root through sudo -n (login uid {uid})", checks[0].GetProperty("detail").GetString());
        Assert.Equal(ThisKernel.Release, doc.RootElement.GetProperty("release").GetString());
        if (!ThisKernel.HasLivepatch)
        {
            var refusal = $"{SudoLogin} has no /sys/kernel/livepatch: its kernel ({ThisKernel.Release}) was built without CONFIG_LIVEPATCH";
            Assert.Equal(1, dry.ExitCode);
            Assert.Equal(2, checks.Count);
            Assert.Equal("livepatch", checks[1].GetProperty("name").GetString());
            Assert.False(checks[1].GetProperty("passed").GetBoolean());
            Assert.Equal(refusal, doc.RootElement.GetProperty("failure").GetString());

            var undo = repo.Ksplice("undo", "sudo02", SudoLogin);
            Assert.Equal(1, undo.ExitCode);
            Assert.Equal($"fatal: {refusal}\n", undo.StdErr);
        }
        // A dry run records nothing.
        Assert.Equal(note, repo.Git("notes", "--ref", "ksplice", "show", post));

        // view runs its script through sudo too and reads the same kernel as root does.
        var view = repo.Ksplice("view", "--json", SudoLogin);
        Assert.True(view.ExitCode == 0, view.All);
        using var viewed = JsonDocument.Parse(view.StdOut);
        Assert.Equal(SudoLogin, viewed.RootElement.GetProperty("host").GetString());
        Assert.Equal(ThisKernel.Release, viewed.RootElement.GetProperty("release").GetString());
        Assert.Equal(ThisKernel.HasLivepatch, viewed.RootElement.GetProperty("livepatch").GetBoolean());
    }

    [Fact]
    public void Through_sudo_a_script_runs_as_root_with_its_arguments_and_input_intact()
    {
        TestAccounts.Uid(TestAccounts.Sudo);
        // A directory only root may write in: the login cannot, the same script through sudo can.
        using var dir = new TempDir();
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(dir.Path));
        const string script = """
            out=$1/$2; shift 2
            cat >"$out" || exit 1
            echo "@ uid $(id -u)"
            for a in "$@"; do printf '@ arg <%s>\n' "$a"; done
            """;
        string[] words = ["two words", "it's \"quoted\"", "$HOME `id` $(id)", "-n", "", "*", "line\nbreak"];
        var input = new byte[70_000];
        new Random(16).NextBytes(input);
        using var host = KernelHost.Open(HostAddress.Remote(SudoLogin), PosixShell.SplitWords(sshd.SshCommand), multiplex: true);

        var plain = host.Run(script, [dir.Path, "plain", .. words], input: s => s.Write(input));
        Assert.NotEqual(0, plain.ExitCode);
        Assert.Contains("Permission denied", plain.Output);
        Assert.False(File.Exists(dir["plain"]));

        host.Sudo = true;
        var sudo = host.Run(script, [dir.Path, "as root", .. words], input: s => s.Write(input));

        Assert.True(sudo.ExitCode == 0, sudo.Output);
        var expected = new StringBuilder("@ uid 0\n");
        foreach (var w in words) expected.Append($"@ arg <{w}>\n");
        Assert.Equal(expected.ToString(), sudo.Output);
        Assert.Equal(input, File.ReadAllBytes(dir["as root"]));
        Assert.Equal("0", ProcessRunner.Run("/", "stat", ["-c", "%u", dir["as root"]]).StdOut.Trim());
    }

    [Fact]
    public void A_sudo_that_wants_a_password_is_one_line_and_never_a_wait()
    {
        var uid = TestAccounts.Uid(TestAccounts.Password);
        using var repo = Repo(remoteSudo: true);
        using var dir = new TempDir();
        var (post, tarball) = Update(repo, dir, "sudo03");
        var refusal = $"sudo -n failed on {PasswordLogin} (uid {uid}): sudo: a password is required; allow /bin/sh without a password, or log in as root";

        // A sudo that waited for a password would wait for ever: ProcessRunner's hang guard fails it.
        var apply = repo.Ksplice("apply", "--config", dir["config"], tarball, PasswordLogin);
        var undo = repo.Ksplice("undo", "sudo03", PasswordLogin);
        var view = repo.Ksplice("view", PasswordLogin);

        Assert.Equal(1, apply.ExitCode);
        Assert.Equal($"error: {refusal}\n", apply.StdErr);
        Assert.Equal($"refused root: {refusal}\n", apply.StdOut);
        Assert.Contains($"result: refused\nfailure: {refusal}", repo.Git("notes", "--ref", "ksplice", "show", post));
        Assert.Equal(1, undo.ExitCode);
        Assert.Equal($"fatal: {refusal}\n", undo.StdErr);
        Assert.Equal(1, view.ExitCode);
        Assert.Equal($"fatal: {refusal}\n", view.StdErr);
    }
}
