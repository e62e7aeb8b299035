namespace BodyCam.Contracts.Audit;

/// <summary>
/// An open misuse alert's rule fired again for the same viewer and wearer: <see cref="Count"/> more
/// times, the chain entries <see cref="FirstSeq"/> to <see cref="LastSeq"/>. Alerts are merged per
/// (rule, viewer, wearer), so one operator watching one officer again and again is one alert with a
/// count, not one alert per view. (An acknowledged alert that fires again is raised again instead:
/// <see cref="MisuseAlertRaised"/> with the same id.)
/// </summary>
public sealed record MisuseAlertRecurred(
    string AlertId,
    string Rule,
    long FirstSeq,
    long LastSeq,
    int Count,
    string ViewerId,
    string? OfficerId,
    string? CameraId,
    string Explanation,
    string ActorId,
    DateTimeOffset OccurredAt,
    Guid CorrelationId) : IIntegrationEvent;
