using GitKsplice.Json;

namespace GitKsplice.Kstuff.Delivery;

/// <summary>How a delivery ended.</summary>
public enum DeliveryResult { Ok, Failed, Interrupted }

/// <summary>The steps of a delivery, each recorded by name when it is the one that failed.</summary>
public enum DeliveryStep
{
    Locking,
    ReadingBundle,
    ReadingConfiguration,
    ListingDevices,
    Merging,
    SendingMergedTree,
    SendingChangedDrivers,
    CopyingTargetDrivers,
    RunningCommand,
    FindingPendingTree,
    Idbuild,
    Installing,
}

/// <summary>Wire names (--json, notes) and the words of messages for the delivery's modes, steps and results.</summary>
public static class DeliveryNames
{
    public static readonly WireTable<DeliveryMode> Modes = new(
        (DeliveryMode.Normal, "normal"),
        (DeliveryMode.BuildOnly, "idbuild-only"),
        (DeliveryMode.MergeOnly, "merge-only"),
        (DeliveryMode.Quick, "quick"));

    public static readonly WireTable<DeliveryStep> Steps = new(
        (DeliveryStep.Locking, "locking"),
        (DeliveryStep.ReadingBundle, "reading-bundle"),
        (DeliveryStep.ReadingConfiguration, "reading-configuration"),
        (DeliveryStep.ListingDevices, "listing-devices"),
        (DeliveryStep.Merging, "merging"),
        (DeliveryStep.SendingMergedTree, "sending-merged-tree"),
        (DeliveryStep.SendingChangedDrivers, "sending-changed-drivers"),
        (DeliveryStep.CopyingTargetDrivers, "copying-target-drivers"),
        (DeliveryStep.RunningCommand, "running-command"),
        (DeliveryStep.FindingPendingTree, "finding-pending-tree"),
        (DeliveryStep.Idbuild, "idbuild"),
        (DeliveryStep.Installing, "installing"));

    public static readonly WireTable<DeliveryResult> Results = new(
        (DeliveryResult.Ok, "ok"),
        (DeliveryResult.Failed, "failed"),
        (DeliveryResult.Interrupted, "interrupted"));

    /// <summary>The mode as git kstuff log shows it.</summary>
    public static string Label(DeliveryMode mode) => mode switch
    {
        DeliveryMode.BuildOnly => "idbuild only (-I)",
        DeliveryMode.MergeOnly => "merge only (-M)",
        DeliveryMode.Quick => "quick (-Q)",
        _ => "normal",
    };

    /// <summary>The step as messages name it ("idbuild failed on host: …").</summary>
    public static string Label(DeliveryStep step) => step switch
    {
        DeliveryStep.Locking => "locking",
        DeliveryStep.ReadingBundle => "reading the bundle",
        DeliveryStep.ReadingConfiguration => "reading the configuration",
        DeliveryStep.ListingDevices => "listing /dev",
        DeliveryStep.Merging => "merging",
        DeliveryStep.SendingMergedTree => "sending the merged tree",
        DeliveryStep.SendingChangedDrivers => "sending the changed Driver.o files",
        DeliveryStep.CopyingTargetDrivers => "copying the target's drivers",
        DeliveryStep.RunningCommand => "the -c command",
        DeliveryStep.FindingPendingTree => "looking for /etc/.kbundle",
        DeliveryStep.Idbuild => "idbuild",
        _ => "installing",
    };

    // Notes written before the wire names held the labels; they still read.
    internal static DeliveryMode? ParseMode(string? text) =>
        Modes.Parse(text) ?? Enum.GetValues<DeliveryMode>().Select(m => (DeliveryMode?)m).FirstOrDefault(m => Label(m!.Value) == text);

    internal static DeliveryStep? ParseStep(string? text) =>
        Steps.Parse(text) ?? Enum.GetValues<DeliveryStep>().Select(s => (DeliveryStep?)s).FirstOrDefault(s => Label(s!.Value) == text);
}

/// <summary>One delivery as it is recorded in the bundle's note and shown by git kstuff log.</summary>
/// <param name="Target">The target as messages name it.</param>
/// <param name="Error">What went wrong, for a failed delivery.</param>
/// <param name="Drivers">The drivers sent (the merged ones, or the -Q ones).</param>
public sealed record DeliveryRecord(
    string Target,
    string Kname,
    DeliveryMode Mode,
    DateTimeOffset Time,
    DeliveryResult Result,
    DeliveryStep? FailedStep = null,
    string? Error = null,
    IReadOnlyList<string>? Drivers = null)
{
    public bool Succeeded => Result == DeliveryResult.Ok;

    /// <summary>The result as git kstuff log shows it: ok, interrupted, or failed with the error.</summary>
    public string Summary => Result == DeliveryResult.Failed && Error != null ? "failed: " + Error : DeliveryNames.Results[Result];
}

/// <summary>
/// What a delivery came to: its record (written to the note already) and, when it failed, the error to report
/// and the remote output the user has not seen yet (the build, the -c command and the install stream theirs).
/// </summary>
public sealed record DeliveryOutcome(DeliveryRecord Record, Reporting.UserError? Error = null, string UnshownRemoteOutput = "");
