namespace BodyCam.Contracts.Streaming;

/// <summary>
/// A viewer holding a live grant on a camera sent its wearer a short text instruction
/// (<see cref="ViewerId"/> to the wearer of <see cref="CameraId"/>, under <see cref="GrantId"/>).
/// </summary>
public sealed record InstructionSent(
    string InstructionId,
    string CameraId,
    string ViewerId,
    string GrantId,
    string? IncidentRef,
    string Text,
    string ActorId,
    DateTimeOffset OccurredAt,
    Guid CorrelationId) : IIntegrationEvent;
