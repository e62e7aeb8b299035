using System.Runtime.CompilerServices;
using System.Text.Json;
using BodyCam.Integration.Facts;
using BodyCam.Integration.Webhooks;
using BodyCam.Integration.Webhooks.Delivering;
using CloudNative.CloudEvents;
using CloudNative.CloudEvents.Extensions;
using CloudNative.CloudEvents.SystemTextJson;
using Marten;

namespace BodyCam.Integration.Feed;

/// <summary>
/// Adds events to the feed inside the session that stores the fact's effect: the CloudEvent is made
/// once, numbered from the feed's sequence, and a pending delivery is stored for each subscription
/// that wants it, all in the same transaction. Only the facts endpoint writes (one message at a
/// time), so sequence order is commit order, which the live feed and the deliveries rely on.
/// </summary>
public sealed class FeedWriter(IConfiguration configuration)
{
    public const string SequenceName = "feed_seq";
    private static readonly JsonEventFormatter Formatter = new();
    private readonly ConditionalWeakTable<IDocumentSession, IReadOnlyList<WebhookSubscription>> _subscriptions = new();
    private readonly Uri _source = new(configuration["Integration:Source"] is { Length: > 0 } s ? s : "urn:bodycam", UriKind.RelativeOrAbsolute);

    public async Task<FeedItem> AppendAsync(
        IDocumentSession session, string eventId, string type, CameraState? camera, string subject, DateTimeOffset time, object data,
        CancellationToken cancellationToken, IReadOnlyList<OperationArea>? operations = null, string? incidentRef = null)
    {
        var seq = (await session.AdvancedSql.QueryAsync<long>($"select nextval('{session.DocumentStore.Options.DatabaseSchemaName}.{SequenceName}')", cancellationToken))[0];
        var cloudEvent = new CloudEvent
        {
            Id = eventId,
            Source = _source,
            Type = type,
            Subject = subject,
            Time = time,
            DataContentType = "application/json",
            Data = JsonSerializer.SerializeToElement(data, JsonSerializerOptions.Web),
        };
        // The sequence extension is a string compared as a string: zero-padded, its order is the feed's.
        cloudEvent[Sequence.SequenceAttribute] = seq.ToString("D19", System.Globalization.CultureInfo.InvariantCulture);
        var encoded = Formatter.EncodeStructuredModeMessage(cloudEvent, out _);

        var inside = operations ?? camera?.Operations ?? [];
        var item = new FeedItem(seq, eventId, type, subject, time, System.Text.Encoding.UTF8.GetString(encoded.Span), camera?.Command,
            [.. inside.Select(o => o.Id)], [.. inside.Select(o => o.IncidentRef).OfType<string>().Append(incidentRef).OfType<string>().Distinct()]);
        session.Store(item);

        // Once per session: the fact writer adds a whole batch's events through one.
        if (!_subscriptions.TryGetValue(session, out var subscriptions))
        {
            subscriptions = await session.Query<WebhookSubscription>().Where(s => s.Active).ToListAsync(cancellationToken);
            _subscriptions.AddOrUpdate(session, subscriptions);
        }

        foreach (var subscription in subscriptions.Where(s => s.Filter.Matches(item)))
        {
            session.Store(Delivery.Pending(subscription.Id, item));
        }

        return item;
    }
}
