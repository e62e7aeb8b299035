namespace BodyCam.Contracts.Cameras;

/// <summary>A camera was issued to an officer for a shift: from now on its positions are that officer's.</summary>
public sealed record CameraAssigned(
    string CameraId,
    string OfficerId,
    string Callsign,
    string Command,
    string ActorId,
    DateTimeOffset OccurredAt,
    Guid CorrelationId) : IIntegrationEvent;
