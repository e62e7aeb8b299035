namespace BodyCam.ServiceDefaults;

/// <summary>The name of the running service, as it appears in events, metrics and traces.</summary>
public sealed record ServiceIdentity(string Name);
