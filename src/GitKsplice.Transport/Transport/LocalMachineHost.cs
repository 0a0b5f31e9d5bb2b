using System.Diagnostics;

namespace GitKsplice.Transport;

/// <summary>This machine itself, whose running kernel is the target: scripts run in the local sh, paths as they are.</summary>
public sealed class LocalMachineHost(HostAddress address) : KernelHost(address)
{
    protected override ProcessStartInfo StartInfo(string script, IReadOnlyList<string> args)
    {
        var psi = new ProcessStartInfo("/bin/sh") { WorkingDirectory = "/" };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(script);
        psi.ArgumentList.Add(ScriptName);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["LC_ALL"] = "C";
        return psi;
    }
}
