namespace GitKsplice.Kstuff.Delivery;

/// <summary>One delivery as it is recorded in the bundle's note and shown by git kstuff log.</summary>
public sealed record DeliveryRecord(
    string Target,
    string Kname,
    string Mode,
    DateTimeOffset Time,
    string Result,
    string? FailedStep = null,
    IReadOnlyList<string>? Drivers = null)
{
    public bool Succeeded => Result == "ok";
}
