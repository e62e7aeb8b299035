using BodyCam.Contracts.Records;
using Marten;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

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

    /// <summary>
    /// A read a console repeats by polling (the live map, the alerts list): recorded and saved once per
    /// reader, route and query each <see cref="PolledReads.Session"/>, a session of reading, not once per poll.
    /// </summary>
    public static async Task RecordPolledAsync(IDocumentSession session, HttpContext http, string service, string what, string? subjectId, int items, string? reason, DateTimeOffset now, CancellationToken cancellationToken)
    {
        // The query string as sent carries the reason too.
        var read = (http.User.ActorId(), what, http.Request.QueryString.Value ?? "");
        if (PolledReads.Due(read, now))
        {
            Record(session, http, service, what, subjectId, items, reason, now);
            await session.SaveChangesAsync(cancellationToken);
            PolledReads.Recorded(read, now);
        }
    }
}

/// <summary>
/// A feed of personal data (server-sent events) on the record per session, not per message: once
/// when it opens, and once when it closes with how long it ran and how many items it carried.
/// </summary>
public static class RecordedFeeds
{
    public static async IAsyncEnumerable<T> RecordedAsync<T>(
        this IAsyncEnumerable<T> items, IDocumentStore store, HttpContext http, string service, string what, string? reason, TimeProvider time,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var opened = time.GetUtcNow();
        await using (var session = store.LightweightSession())
        {
            PersonalDataReads.Record(session, http, service, what, null, 0, reason, opened, $"opened: {http.Request.QueryString.Value?.TrimStart('?')}");
            await session.SaveChangesAsync(cancellationToken);
        }

        var count = 0;
        try
        {
            await foreach (var item in items.WithCancellation(cancellationToken))
            {
                count++;
                yield return item;
            }
        }
        finally
        {
            // The reader has gone: the session's end goes on the record, with a deadline of its own.
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await using var session = store.LightweightSession();
                var closed = time.GetUtcNow();
                PersonalDataReads.Record(session, http, service, what, null, count, reason, closed,
                    $"closed after {(closed - opened).TotalSeconds.ToString("0", System.Globalization.CultureInfo.InvariantCulture)} s: {http.Request.QueryString.Value?.TrimStart('?')}");
                await session.SaveChangesAsync(deadline.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or Npgsql.NpgsqlException)
            {
                Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<Microsoft.Extensions.Logging.ILoggerFactory>(http.RequestServices)
                    .CreateLogger(typeof(RecordedFeeds)).LogWarning(e, "The end of a {What} session could not be recorded", what);
            }
        }
    }
}

/// <summary>Reads repeated by a poller, recorded once per <see cref="Session"/> per reader, route and query.</summary>
public static class PolledReads
{
    public static readonly TimeSpan Session = TimeSpan.FromMinutes(15);

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(string Actor, string What, string Query), DateTimeOffset> Sessions = new();

    /// <summary>True when this read starts a new session and is to be recorded; repeats within one are not.</summary>
    public static bool Due((string Actor, string What, string Query) read, DateTimeOffset now) =>
        !Sessions.TryGetValue(read, out var at) || now - at >= Session;

    /// <summary>The read was recorded (only then does a session start: a failed record is tried again next time).</summary>
    public static void Recorded((string Actor, string What, string Query) read, DateTimeOffset now)
    {
        Sessions[read] = now;
        if (Sessions.Count > 10_000)
        {
            foreach (var old in Sessions.Where(r => now - r.Value >= Session).Select(r => r.Key).ToList())
            {
                Sessions.TryRemove(old, out _);
            }
        }
    }
}
