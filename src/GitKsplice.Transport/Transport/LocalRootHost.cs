using System.Diagnostics;
using GitKsplice.Reporting;

namespace GitKsplice.Transport;

/// <summary>A directory on this machine standing for a system's root (an image, a chroot): scripts run in the local sh.</summary>
public sealed class LocalRootHost(HostAddress address) : KernelHost(address)
{
    protected override ProcessStartInfo StartInfo(string script, IReadOnlyList<string> args)
    {
        if (!Directory.Exists(Address.Root))
            throw new UserError($"local root '{Address.Root}' is not a directory");
        var psi = new ProcessStartInfo("/bin/sh") { WorkingDirectory = Address.Root };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(script);
        psi.ArgumentList.Add(ScriptName);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["LC_ALL"] = "C";
        return psi;
    }

    /// <summary>
    /// Resolves the path inside the root as a chroot would: a symbolic link on the way, absolute or climbing
    /// with "..", stays inside it, so an image whose /stand links to /boot gets the image's /boot, never this
    /// machine's.
    /// </summary>
    public override string PathOf(string systemPath)
    {
        if (!systemPath.StartsWith('/')) throw new ArgumentException("host paths are absolute", nameof(systemPath));
        var pending = new List<string>(systemPath.Split('/', StringSplitOptions.RemoveEmptyEntries));
        var resolved = new List<string>();
        var links = 0;
        while (pending.Count > 0)
        {
            var part = pending[0];
            pending.RemoveAt(0);
            if (part == ".") continue;
            if (part == "..")
            {
                if (resolved.Count > 0) resolved.RemoveAt(resolved.Count - 1);
                continue;
            }
            var link = new FileInfo(Address.Root + "/" + string.Join('/', resolved.Append(part))).LinkTarget;
            if (link == null)
            {
                resolved.Add(part);
                continue;
            }
            if (++links > 40) throw new UserError($"{Display}: too many levels of symbolic links in {systemPath}");
            if (link.StartsWith('/')) resolved.Clear();
            pending.InsertRange(0, link.Split('/', StringSplitOptions.RemoveEmptyEntries));
        }
        return Address.Root + "/" + string.Join('/', resolved);
    }
}
