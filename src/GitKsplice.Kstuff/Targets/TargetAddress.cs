using System.Text.RegularExpressions;
using GitKsplice.Reporting;
using GitKsplice.Transport;

namespace GitKsplice.Kstuff.Targets;

/// <summary>
/// Where a kernel goes: a host (reached over OpenSSH, or a directory here standing for a root) plus the kernel
/// name there. Parsed from <c>host[:kname]</c>, <c>[v6addr][:kname]</c> or <c>local:DIR[:kname]</c>; everything
/// that could be read as an option, a shell word or a path is refused, in every form.
/// </summary>
public sealed partial record TargetAddress(HostAddress Machine, string? Kname)
{
    public string? Host => Machine.Host;
    public string Root => Machine.Root;
    public bool IsLocal => Machine.IsLocal;

    /// <summary>How the target is named in messages and delivery records.</summary>
    public string Display => Machine.Display;

    /// <summary>
    /// Parses the host operand. <paramref name="targetRoot"/> (--target-root) is the target's root
    /// directory: on the host when one is given, otherwise it makes a local target. A local directory given
    /// relative is taken from <paramref name="workingDirectory"/>, the command's.
    /// </summary>
    public static TargetAddress Parse(string? operand, string? targetRoot, string workingDirectory)
    {
        if (string.IsNullOrEmpty(operand))
        {
            if (targetRoot == null) throw new UserError("no target: give host[:kname], local:DIR or --target-root DIR");
            return new TargetAddress(HostAddress.Local(targetRoot, "--target-root", workingDirectory), null);
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
                if (kname.Length == 0) throw new UserError($"bad target '{HostAddress.Printable(operand)}': empty kernel name after ':'");
            }
            return new TargetAddress(HostAddress.Local(rest, "local:", workingDirectory), CheckKname(kname));
        }
        string host, knamePart;
        var ipv6 = operand.StartsWith('[');
        if (ipv6)
        {
            var close = operand.IndexOf(']');
            if (close < 0) throw new UserError($"bad host '{HostAddress.Printable(operand)}': unclosed '['");
            host = operand[1..close];
            knamePart = operand[(close + 1)..];
            if (knamePart.Length > 0 && knamePart[0] != ':') throw new UserError($"bad host '{HostAddress.Printable(operand)}': expected ':' after ']'");
        }
        else
        {
            var colon = operand.IndexOf(':');
            host = colon < 0 ? operand : operand[..colon];
            knamePart = colon < 0 ? "" : operand[colon..];
        }
        var machine = HostAddress.Remote(host, ipv6, targetRoot);
        var k = knamePart.Length == 0 ? null : knamePart[1..];
        if (k != null && k.Length == 0) throw new UserError($"bad target '{HostAddress.Printable(operand)}': empty kernel name after ':'");
        return new TargetAddress(machine, CheckKname(k));
    }

    /// <summary>A kernel name: a file name in /stand and a suffix of /etc/conf., never a path or an option.</summary>
    public static string? CheckKname(string? kname)
    {
        if (kname == null) return null;
        if (!KnamePattern().IsMatch(kname) || kname is "." or "..")
            throw new UserError($"bad kernel name '{HostAddress.Printable(kname)}': use letters, digits, '.', '_', '+' and '-' (not starting with '-' or '.'), at most 64");
        return kname;
    }

    [GeneratedRegex(@"^[A-Za-z0-9_][A-Za-z0-9._+-]{0,63}$")]
    private static partial Regex KnamePattern();
}
