using BodyCam.Contracts.Streaming;
using BodyCam.Integration.Feed;
using BodyCam.ServiceDefaults.Messaging;
using Marten;
using MassTransit;

namespace BodyCam.Integration.Facts;

/// <summary>
/// A viewer marked a moment of a camera's video: CAD files it with the incident. The event is matched
/// to subscriptions by the grant's incident as well as by the operations the camera is in. Who marked
/// it goes out only where the force shares who watches whom (<c>Integration:ShareViewers</c>).
/// </summary>
public sealed class BookmarkMarkedFact(FactWriter writer, FeedWriter feed, FeedSignal signal, IConfiguration configuration)
    : FactConsumer<BookmarkMarked>(writer, feed, signal)
{
    protected override async Task Handle(ConsumeContext<BookmarkMarked> context, IDocumentSession session)
    {
        var m = context.Message;
        var camera = await CameraAsync(session, m.CameraId, context.CancellationToken);
        var shareViewers = configuration.GetValue("Integration:ShareViewers", false);
        await Feed.AppendAsync(session, EventId(context), EventTypes.BookmarkMarked, camera, m.CameraId, m.OccurredAt,
            new
            {
                camera = camera.Describe(), bookmarkId = m.BookmarkId, at = m.Moment, note = m.Note, incidentRef = m.IncidentRef,
                viewerId = shareViewers ? m.ViewerId : null,
            },
            context.CancellationToken, incidentRef: m.IncidentRef);
    }
}
