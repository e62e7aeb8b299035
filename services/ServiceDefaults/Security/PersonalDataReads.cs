using BodyCam.Contracts.Records;
using Marten;
using Microsoft.AspNetCore.Http;

namespace BodyCam.ServiceDefaults.Security;

/// <summary>
/// Puts a consultation of personal data on the record (Data Protection Act 2018 s.62): who read
/// what, whose, with what filter (the query as asked), how many items came back, and the reason
/// they gave if any. A <see cref="PersonalDataRead"/> event in the caller's session, stored with
/// whatever else it saves and published like every fact, so the read is recorded before the data
/// leaves.
/// </summary>
public static class PersonalDataReads
{
    /// <param name="filter">What was asked for; by default the request's query string as sent.</param>
    public static void Record(IDocumentSession session, HttpContext http, string service, string what, string? subjectId, int items, string? reason, DateTimeOffset now, string? filter = null) =>
        session.Events.StartStream($"read-{Guid.CreateVersion7()}", new PersonalDataRead(
            service, what, subjectId, filter ?? http.Request.QueryString.Value?.TrimStart('?') ?? "", items,
            http.User.RoleNames(), string.IsNullOrWhiteSpace(reason) ? null : reason.Trim(), http.User.ActorId(), now, http.CorrelationId()));
}
