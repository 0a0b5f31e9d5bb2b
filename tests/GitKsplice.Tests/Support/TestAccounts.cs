namespace GitKsplice.Tests.Support;

/// <summary>
/// Accounts of this machine that are not root, made by scripts/install-test-deps.sh with their sudoers rules, for
/// ksplice.remoteSudo against the test sshd (<see cref="SshServer"/>), which must run as root to log in as them.
/// </summary>
public static class TestAccounts
{
    /// <summary>May run /bin/sh as root through sudo without a password: what remoteSudo needs on a target.</summary>
    public const string Sudo = "ksplice-test";

    /// <summary>May run /bin/sh as root only with its password, which it does not have.</summary>
    public const string Password = "ksplice-test-passwd";

    private const string Rules = "/etc/sudoers.d/ksplice-test";

    /// <summary>The account's uid; throws, naming what is missing, when the machine lacks the accounts, their rules or sudo.</summary>
    public static int Uid(string account)
    {
        const string fix = "run scripts/install-test-deps.sh as root";
        if (ProcessRunner.Run("/", "id", ["-u"]).StdOut.Trim() != "0")
            throw new InvalidOperationException($"the remoteSudo tests log in to the test sshd as {account}, which only an sshd running as root can do: run the tests as root");
        if (!File.Exists("/usr/bin/sudo"))
            throw new InvalidOperationException($"sudo is missing: {fix}");
        var id = ProcessRunner.Run("/", "id", ["-u", account]);
        if (id.ExitCode != 0)
            throw new InvalidOperationException($"the test account {account} is missing: {fix}");
        if (!File.Exists(Rules))
            throw new InvalidOperationException($"the sudoers rules of the test accounts ({Rules}) are missing: {fix}");
        return int.Parse(id.StdOut.Trim());
    }

    /// <summary>The host operand that logs in to the test sshd as <paramref name="account"/>.</summary>
    public static string Login(string account) => $"{account}@{SshServer.HostAlias}";
}
