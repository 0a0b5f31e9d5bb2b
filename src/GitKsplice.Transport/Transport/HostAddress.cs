using System.Text.RegularExpressions;
using GitKsplice.Reporting;

namespace GitKsplice.Transport;

/// <summary>
/// A machine that runs kernels: a host reached over OpenSSH (<see cref="Host"/>, with <see cref="Root"/> its
/// root directory there, "" for /), or a directory on this machine standing for a system's root (a mounted
/// image, a chroot). Host names that could be read as an ssh option or a shell word are refused.
/// </summary>
public sealed partial record HostAddress
{
    private HostAddress(string? host, string root)
    {
        Host = host;
        Root = root;
    }

    /// <summary>The ssh destination ([user@]name or an IPv6 address); null for a local root.</summary>
    public string? Host { get; }

    /// <summary>The system's root directory: on the host ("" for /), or here for a local root.</summary>
    public string Root { get; }

    public bool IsLocal => Host == null;

    /// <summary>This machine, whose running kernel is the target (git ksplice apply without a host).</summary>
    public bool IsThisMachine => Host == null && Root.Length == 0;

    /// <summary>How the host is named in messages and records.</summary>
    public string Display => IsThisMachine ? ThisMachineName : Host == null ? "local:" + Root : (Root.Length > 0 ? $"{Host} (root {Root})" : Host);

    /// <summary>How this machine is named in messages and records.</summary>
    public const string ThisMachineName = "this machine";

    /// <summary>This machine, reached without ssh.</summary>
    public static HostAddress ThisMachine { get; } = new(null, "");

    /// <summary>A host operand: [user@]name, or [address] for IPv6; what could be read as an option or a shell word is refused.</summary>
    public static HostAddress Parse(string operand)
    {
        if (!operand.StartsWith('[')) return Remote(operand);
        if (!operand.EndsWith(']')) throw new UserError($"bad host '{Printable(operand)}': expected [IPv6 address]");
        return Remote(operand[1..^1], ipv6: true);
    }

    /// <summary>A host over ssh: <paramref name="host"/> is [user@]name, or an IPv6 address when <paramref name="ipv6"/>.</summary>
    public static HostAddress Remote(string host, bool ipv6 = false, string? root = null)
    {
        if (ipv6 ? !Ipv6().IsMatch(host) : !HostName().IsMatch(host))
            throw new UserError(ipv6 ? $"bad host '[{Printable(host)}]': not an IPv6 address"
                : $"bad host name '{Printable(host)}': use [user@]name with letters, digits, '.', '-' and '_' (not starting with '-')");
        return new HostAddress(host, root == null ? "" : CheckRoot(root, "--target-root", workingDirectory: null));
    }

    /// <summary>
    /// A directory here standing for a system's root; <paramref name="what"/> names where it was given. A relative
    /// directory is taken from <paramref name="workingDirectory"/>, the command's.
    /// </summary>
    public static HostAddress Local(string directory, string what, string workingDirectory) =>
        new(null, CheckRoot(directory, what, workingDirectory));

    /// <param name="workingDirectory">What a local root is relative to; null for a root on a remote host, which must be absolute.</param>
    private static string CheckRoot(string root, string what, string? workingDirectory)
    {
        if (root.Length == 0) throw new UserError($"{what}: empty directory");
        if (root.Any(char.IsControl)) throw new UserError($"{what}: directory name contains control characters");
        if (workingDirectory == null && !root.StartsWith('/')) throw new UserError($"{what}: a root on a remote host must be an absolute path, not '{root}'");
        var full = (workingDirectory != null ? Path.GetFullPath(root, workingDirectory) : root).TrimEnd('/');
        return full.Length == 0 ? throw new UserError($"{what}: the root directory '/' itself is not a target root; give the host instead") : full;
    }

    /// <summary>Control characters shown as '?', so that an error message stays one line.</summary>
    public static string Printable(string s) => Control().Replace(s, "?");

    [GeneratedRegex(@"\p{Cc}")]
    private static partial Regex Control();

    [GeneratedRegex(@"^([A-Za-z0-9_][A-Za-z0-9._-]*@)?[A-Za-z0-9_][A-Za-z0-9._-]{0,252}$")]
    private static partial Regex HostName();

    [GeneratedRegex(@"^[0-9A-Fa-f:.]+(%[A-Za-z0-9._-]+)?$")]
    private static partial Regex Ipv6();
}
