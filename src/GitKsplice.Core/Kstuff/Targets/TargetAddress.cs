using System.Text.RegularExpressions;
using GitKsplice.Cli;

namespace GitKsplice.Kstuff.Targets;

/// <summary>
/// Where a kernel goes: a host reached over OpenSSH, or a directory on this machine (a mounted image,
/// a chroot), plus the kernel name there. Parsed from <c>host[:kname]</c>, <c>[v6addr][:kname]</c> or
/// <c>local:DIR[:kname]</c>; everything that could be read as an option or a shell word is refused.
/// </summary>
public sealed partial record TargetAddress(string? Host, string Root, string? Kname)
{
    public bool IsLocal => Host == null;

    /// <summary>How the target is named in messages and delivery records.</summary>
    public string Display => Host == null ? "local:" + Root : (Root.Length > 0 ? $"{Host} (root {Root})" : Host);

    /// <summary>
    /// Parses the host operand. <paramref name="targetRoot"/> (--target-root) is the target's root
    /// directory: on the host when one is given, otherwise it makes a local target.
    /// </summary>
    public static TargetAddress Parse(string? operand, string? targetRoot)
    {
        if (string.IsNullOrEmpty(operand))
        {
            if (targetRoot == null) throw new UserError("no target: give host[:kname], local:DIR or --target-root DIR");
            return new TargetAddress(null, CheckRoot(targetRoot, "--target-root", local: true), null);
        }
        if (operand.StartsWith("local:", StringComparison.Ordinal))
        {
            if (targetRoot != null) throw new UserError("give the local target's directory either as local:DIR or with --target-root, not both");
            var rest = operand["local:".Length..];
            string? kname = null;
            // The last ':' ends the directory, as in host:kname; the kname is a file name, never a path (a
            // directory with ':' in its name is given with --target-root).
            var colon = rest.LastIndexOf(':');
            if (colon >= 0)
            {
                kname = rest[(colon + 1)..];
                rest = rest[..colon];
                if (kname.Length == 0) throw new UserError($"bad target '{Printable(operand)}': empty kernel name after ':'");
            }
            return new TargetAddress(null, CheckRoot(rest, "local:", local: true), CheckKname(kname));
        }
        string host, knamePart;
        if (operand.StartsWith('['))
        {
            var close = operand.IndexOf(']');
            if (close < 0) throw new UserError($"bad host '{operand}': unclosed '['");
            host = operand[1..close];
            knamePart = operand[(close + 1)..];
            if (knamePart.Length > 0 && knamePart[0] != ':') throw new UserError($"bad host '{operand}': expected ':' after ']'");
            if (!Ipv6().IsMatch(host)) throw new UserError($"bad host '{operand}': not an IPv6 address");
        }
        else
        {
            var colon = operand.IndexOf(':');
            host = colon < 0 ? operand : operand[..colon];
            knamePart = colon < 0 ? "" : operand[colon..];
            if (!HostName().IsMatch(host))
                throw new UserError($"bad host name '{Printable(host)}': use [user@]name with letters, digits, '.', '-' and '_' (not starting with '-')");
        }
        var k = knamePart.Length == 0 ? null : knamePart[1..];
        if (k != null && k.Length == 0) throw new UserError($"bad target '{Printable(operand)}': empty kernel name after ':'");
        var remoteRoot = targetRoot == null ? "" : CheckRoot(targetRoot, "--target-root", local: false);
        return new TargetAddress(host, remoteRoot, CheckKname(k));
    }

    /// <summary>A kernel name: a file name in /stand and a suffix of /etc/conf., never a path or an option.</summary>
    public static string? CheckKname(string? kname)
    {
        if (kname == null) return null;
        if (!KnamePattern().IsMatch(kname) || kname is "." or "..")
            throw new UserError($"bad kernel name '{Printable(kname)}': use letters, digits, '.', '_', '+' and '-' (not starting with '-' or '.'), at most 64");
        return kname;
    }

    private static string CheckRoot(string root, string what, bool local)
    {
        if (root.Length == 0) throw new UserError($"{what}: empty directory");
        if (root.Any(char.IsControl)) throw new UserError($"{what}: directory name contains control characters");
        if (!local && !root.StartsWith('/')) throw new UserError($"{what}: a root on a remote host must be an absolute path, not '{root}'");
        var full = (local ? Path.GetFullPath(root) : root).TrimEnd('/');
        return full.Length == 0 ? throw new UserError($"{what}: the root directory '/' itself is not a target root; give the host instead") : full;
    }

    private static string Printable(string s) => Regex.Replace(s, @"\p{Cc}", "?");

    [GeneratedRegex(@"^([A-Za-z0-9_][A-Za-z0-9._-]*@)?[A-Za-z0-9_][A-Za-z0-9._-]{0,252}$")]
    private static partial Regex HostName();

    [GeneratedRegex(@"^[0-9A-Fa-f:.]+(%[A-Za-z0-9._-]+)?$")]
    private static partial Regex Ipv6();

    [GeneratedRegex(@"^[A-Za-z0-9_][A-Za-z0-9._+-]{0,63}$")]
    private static partial Regex KnamePattern();
}
