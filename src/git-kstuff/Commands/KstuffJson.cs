using System.Text.Json.Nodes;
using GitKsplice.Json;
using GitKsplice.Kstuff.Bundles;
using GitKsplice.Kstuff.Delivery;

namespace GitKsplice.Cli.Commands;

/// <summary>
/// The --json shapes of kstuff's records, one each, whichever command prints them: camelCase keys, enum
/// values by their wire tables, times by <see cref="WireTime"/>. GoldenJsonTests pins them.
/// </summary>
internal static class KstuffJson
{
    public static JsonObject Bundle(BundleNote note) => new()
    {
        ["path"] = note.Path,
        ["sha256"] = note.Sha256,
        ["size"] = note.Size,
        ["time"] = WireTime.Format(note.Time),
        ["root"] = note.Root,
        ["mach"] = note.Mach,
        ["idtools"] = note.Idtools,
        ["files"] = note.Files,
        ["drivers"] = note.Drivers.ToJsonArray(),
    };

    public static JsonObject NotedBundle(NotedBundle b) => new()
    {
        ["commit"] = b.Commit,
        ["state"] = BundleNames.States[b.State],
        ["bundle"] = Bundle(b.Note),
    };

    public static JsonObject Delivery(NotedDelivery d) => new()
    {
        ["commit"] = d.Commit,
        ["bundle"] = d.Bundle,
        ["target"] = d.Record.Target,
        ["kname"] = d.Record.Kname,
        ["mode"] = DeliveryNames.Modes[d.Record.Mode],
        ["time"] = WireTime.Format(d.Record.Time),
        ["ok"] = d.Record.Succeeded,
        ["result"] = DeliveryNames.Results[d.Record.Result],
        ["failedStep"] = d.Record.FailedStep is { } step ? DeliveryNames.Steps[step] : null,
        ["error"] = d.Record.Error,
        ["drivers"] = d.Record.Drivers?.ToJsonArray(),
    };
}
