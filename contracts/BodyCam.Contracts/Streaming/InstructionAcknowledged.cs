namespace BodyCam.Contracts.Streaming;

/// <summary>The camera that was sent an instruction acknowledged it (the wearer saw it). <see cref="ActorId"/> is the device.</summary>
public sealed record InstructionAcknowledged(
    string InstructionId,
    string CameraId,
    string ViewerId,
    string GrantId,
    string ActorId,
    DateTimeOffset OccurredAt,
    Guid CorrelationId) : IIntegrationEvent;
