namespace BodyCam.Witness;

/// <summary>A log this witness watches: its verifier key names its origin (the key's name).</summary>
public sealed class WitnessedLog
{
    public string Key { get; set; } = "";
}

/// <summary><c>Witness:*</c>: the witness's name and key, where it keeps its state, and the logs it witnesses.</summary>
public sealed class WitnessSettings
{
    public string Name { get; set; } = "bodycam.local/witness";
    public string? KeyFile { get; set; }
    public string StoreDirectory { get; set; } = "witness-store";
    public List<WitnessedLog> Logs { get; set; } = [];
}
