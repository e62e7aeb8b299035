namespace BodyCam.Contracts.Records;

/// <summary>
/// Someone consulted personal data (an officer's track, for example): who, what, with what filter and
/// how many items came back. The Data Protection Act 2018 s.62 asks for a log of every consultation;
/// this is its entry. <paramref name="What"/> names the kind of data (<c>officer-track</c>),
/// <paramref name="SubjectId"/> whose it is, <paramref name="Filter"/> the query as asked.
/// </summary>
public sealed record PersonalDataRead(
    string Service,
    string What,
    string? SubjectId,
    string Filter,
    int Items,
    IReadOnlyList<string> ReaderRoles,
    string? Reason,
    string ActorId,
    DateTimeOffset OccurredAt,
    Guid CorrelationId) : IIntegrationEvent;
