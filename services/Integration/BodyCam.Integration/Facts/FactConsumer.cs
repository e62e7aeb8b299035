using BodyCam.Contracts.Operations;
using BodyCam.Contracts.Streaming;
using BodyCam.Contracts.Telemetry;
using BodyCam.Integration.Feed;
using BodyCam.ServiceDefaults.Messaging;
using Marten;
using MassTransit;

namespace BodyCam.Integration.Facts;

// Integration learns everything from the contracts alone, like any extension would. Each fact
// updates what it knows of the camera and adds the events it means to the feed, in the transaction
// of the service's one fact writer (so the feed's order is the order facts were stored), a camera's
// facts in the order they were published.

/// <summary>The shared shape: load the camera, change it, store it, add the feed's events; wake readers once committed.</summary>
public abstract class FactConsumer<TFact>(FactWriter writer, FeedWriter feed, FeedSignal signal)
    : IdempotentConsumer<TFact>(writer)
    where TFact : class
{
    // Every fact integration takes but an operation's opening is about a camera: its state is loaded
    // with the rest of the batch's.
    private static readonly Func<TFact, string?>? CameraIdOf = typeof(TFact).GetProperty("CameraId") is { } property && property.PropertyType == typeof(string)
        ? property.GetGetMethod()!.CreateDelegate<Func<TFact, string?>>()
        : null;

    protected FeedWriter Feed => feed;

    protected override DocumentKey? Loads(TFact message) =>
        CameraIdOf?.Invoke(message) is { } camera ? DocumentKey.Of<CameraState>(camera) : null;

    protected static async Task<CameraState> CameraAsync(IDocumentSession session, string cameraId, CancellationToken cancellationToken) =>
        await session.LoadAsync<CameraState>(cameraId, cancellationToken) ?? new CameraState(cameraId);

    /// <summary>The common case: change what is known of the camera, store it, and send one event describing it.</summary>
    protected async Task ChangeCameraAsync(
        ConsumeContext context, IDocumentSession session, string cameraId, DateTimeOffset at, string type,
        Func<CameraState, CameraState>? change = null, Func<CameraState, object>? data = null)
    {
        var before = await CameraAsync(session, cameraId, context.CancellationToken);
        var camera = change is null ? before : change(before);
        if (change is not null)
        {
            session.Store(camera);
        }

        await Feed.AppendAsync(session, EventId(context), type, camera, cameraId, at, data?.Invoke(camera) ?? camera.Describe(), context.CancellationToken);
    }

    /// <summary>
    /// An officer entering or leaving an operation's area: matched to subscriptions as
    /// <paramref name="matched"/> (for leaving, the camera still inside), described as <paramref name="described"/>.
    /// </summary>
    protected Task MembershipAsync(ConsumeContext context, IDocumentSession session, string part, string type,
        CameraState matched, CameraState described, OperationArea area, DateTimeOffset at) =>
        Feed.AppendAsync(session, EventId(context, part), type, matched, described.Id, at,
            new { camera = described.Describe(), operationId = area.Id, name = area.Name, incidentRef = area.IncidentRef }, context.CancellationToken);

    protected static string EventId(ConsumeContext context, string? part = null) =>
        part is null ? context.MessageId!.Value.ToString() : $"{context.MessageId}-{part}";

    protected override void Committed(ConsumeContext<TFact> context) => signal.Pulse();
}
