using System.Text.RegularExpressions;
using GitKsplice.Kstuff.Config;
using GitKsplice.Kstuff.Merge;
using GitKsplice.Transport;

namespace GitKsplice.Kstuff.Targets;

/// <summary>Reads what the merge needs from a target: its configuration tree and the majors of its /dev nodes.</summary>
public static partial class TargetReader
{
    /// <summary>
    /// The configuration tree at <paramref name="treePath"/> on the target, without pack.d (the object files
    /// of the target's drivers stay there and are copied on the target when a driver is kept).
    /// </summary>
    public static ConfigTree ReadConfiguration(KernelHost target, string treePath)
    {
        List<TreeFile>? files = null;
        var where = target.PathOf(treePath);
        target.RunStep("reading the configuration", RemoteScripts.ReadConfiguration, [where],
            output: s => files = TreeTar.ReadFiles(s, target.Display));
        var display = target.Display + ":" + treePath + "/";
        return ConfigTree.FromFiles(files ?? [], TreeSide.Target, p => display + p);
    }

    /// <summary>The block and character majors of the nodes under the target's /dev.</summary>
    public static DeviceMajors ReadDeviceMajors(KernelHost target)
    {
        var listing = target.RunStep("listing /dev", RemoteScripts.ListDeviceNodes, [target.PathOf(TargetLayout.DevDir)]);
        return ParseDeviceListing(listing);
    }

    /// <summary>Majors from "ls -ln" lines of device nodes: "crw-rw-rw- 1 0 0 1, 3 date name".</summary>
    public static DeviceMajors ParseDeviceListing(string listing)
    {
        var block = new HashSet<int>();
        var character = new HashSet<int>();
        foreach (var line in listing.Split('\n'))
        {
            var m = DeviceLine().Match(line);
            if (!m.Success) continue;
            var major = int.Parse(m.Groups[2].Value);
            (m.Groups[1].Value == "b" ? block : character).Add(major);
        }
        return new DeviceMajors(block, character);
    }

    [GeneratedRegex(@"^([bc])\S*\s+\d+\s+\S+\s+\S+\s+(\d+),\s*\d+\s")]
    private static partial Regex DeviceLine();
}
