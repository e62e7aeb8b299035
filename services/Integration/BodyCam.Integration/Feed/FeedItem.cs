namespace BodyCam.Integration.Feed;

/// <summary>
/// One event of the integration feed: its place (<see cref="Id"/>, the feed's sequence number, in
/// the order facts were taken), the CloudEvent exactly as it is sent (structured JSON), and what
/// subscriptions filter on, as it was when the fact happened.
/// </summary>
public sealed record FeedItem(
    long Id,
    string EventId,
    string Type,
    string Subject,
    DateTimeOffset Time,
    string CloudEvent,
    string? Command,
    IReadOnlyList<string> OperationIds,
    IReadOnlyList<string> IncidentRefs);

/// <summary>What a subscription or a feed reader asked for; an empty part matches everything.</summary>
public sealed record FeedFilter(IReadOnlyList<string> Types, string? Command, string? OperationId, string? IncidentRef)
{
    public bool Matches(FeedItem item) =>
        (Types.Count == 0 || Types.Contains(item.Type))
        && (Command is null || string.Equals(Command, item.Command, StringComparison.Ordinal))
        && (OperationId is null || item.OperationIds.Contains(OperationId))
        && (IncidentRef is null || item.IncidentRefs.Contains(IncidentRef));
}
