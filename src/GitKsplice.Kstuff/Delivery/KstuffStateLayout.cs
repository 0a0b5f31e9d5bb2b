namespace GitKsplice.Kstuff.Delivery;

/// <summary>
/// Every path git-kstuff keeps under $GIT_COMMON_DIR/kstuff, named here and nowhere else.
/// <code>
/// deliver-&lt;pid&gt;/      a delivery's work directory (the bundle it unpacked), removed when the delivery ends
/// </code>
/// </summary>
public sealed class KstuffStateLayout(string commonDir)
{
    public string Root { get; } = Path.Combine(commonDir, "kstuff");

    private const string DeliveryPrefix = "deliver-";

    /// <summary>The work directory of the delivery run by process <paramref name="pid"/>.</summary>
    public string DeliveryWork(int pid) => Path.Combine(Root, DeliveryPrefix + pid);

    /// <summary>Every delivery work directory with the process that made it.</summary>
    public IEnumerable<(string Path, int Pid)> DeliveryWorkDirectories()
    {
        if (!Directory.Exists(Root)) yield break;
        foreach (var dir in Directory.EnumerateDirectories(Root, DeliveryPrefix + "*"))
            if (int.TryParse(Path.GetFileName(dir)[DeliveryPrefix.Length..], out var pid)) yield return (dir, pid);
    }
}
