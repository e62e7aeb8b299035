using BodyCam.Contracts.Cameras;
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

/// <summary>
/// An officer takes a camera. Facts about different subjects may arrive in either order: a camera
/// whose first positions came before its assignment is already somewhere, and if that is inside an
/// operation's area the officer has entered it now.
/// </summary>
public sealed class CameraAssignedFact(FactWriter writer, FeedWriter feed, FeedSignal signal)
    : FactConsumer<CameraAssigned>(writer, feed, signal)
{
    protected override async Task Handle(ConsumeContext<CameraAssigned> context, IDocumentSession session)
    {
        var m = context.Message;
        var camera = await CameraAsync(session, m.CameraId, context.CancellationToken) with { OfficerId = m.OfficerId, Callsign = m.Callsign, Command = m.Command };
        List<OperationArea> entered = [];
        if (camera is { Lat: { } lat, Lon: { } lon })
        {
            var areas = await session.Query<OperationArea>().ToListAsync(context.CancellationToken);
            entered = [.. areas.Where(a => a.Contains(lat, lon) && camera.Operations.All(o => o.Id != a.Id))];
            camera = camera with { InOperations = [.. camera.Operations, .. entered] };
        }

        session.Store(camera);
        await Feed.AppendAsync(session, EventId(context), EventTypes.CameraAssigned, camera, m.CameraId, m.OccurredAt, camera.Describe(), context.CancellationToken);
        foreach (var area in entered)
        {
            await MembershipAsync(context, session, $"entered-{area.Id}", EventTypes.OperationEntered, camera, camera, area, m.OccurredAt);
        }
    }
}

public sealed class CameraDockedFact(FactWriter writer, FeedWriter feed, FeedSignal signal)
    : FactConsumer<CameraDocked>(writer, feed, signal)
{
    protected override async Task Handle(ConsumeContext<CameraDocked> context, IDocumentSession session)
    {
        var m = context.Message;
        var before = await CameraAsync(session, m.CameraId, context.CancellationToken);
        await Feed.AppendAsync(session, EventId(context), EventTypes.CameraDocked, before, m.CameraId, m.OccurredAt, before.Describe(), context.CancellationToken);
        session.Store(before with { OfficerId = null, Callsign = null, Command = null, Recording = false, Lat = null, Lon = null, PositionAt = null, InOperations = [] });
    }
}

public sealed class RecordingStartedFact(FactWriter writer, FeedWriter feed, FeedSignal signal)
    : FactConsumer<RecordingStarted>(writer, feed, signal)
{
    protected override Task Handle(ConsumeContext<RecordingStarted> context, IDocumentSession session) =>
        ChangeCameraAsync(context, session, context.Message.CameraId, context.Message.OccurredAt, EventTypes.RecordingStarted, c => c with { Recording = true });
}

public sealed class RecordingStoppedFact(FactWriter writer, FeedWriter feed, FeedSignal signal)
    : FactConsumer<RecordingStopped>(writer, feed, signal)
{
    protected override Task Handle(ConsumeContext<RecordingStopped> context, IDocumentSession session) =>
        ChangeCameraAsync(context, session, context.Message.CameraId, context.Message.OccurredAt, EventTypes.RecordingStopped, c => c with { Recording = false });
}

public sealed class WatchMeRequestedFact(FactWriter writer, FeedWriter feed, FeedSignal signal)
    : FactConsumer<WatchMeRequested>(writer, feed, signal)
{
    protected override Task Handle(ConsumeContext<WatchMeRequested> context, IDocumentSession session) =>
        ChangeCameraAsync(context, session, context.Message.CameraId, context.Message.OccurredAt, EventTypes.WatchMeRequested,
            data: c => new { camera = c.Describe(), note = context.Message.Note });
}

public sealed class WatchMeAcknowledgedFact(FactWriter writer, FeedWriter feed, FeedSignal signal)
    : FactConsumer<WatchMeAcknowledged>(writer, feed, signal)
{
    protected override Task Handle(ConsumeContext<WatchMeAcknowledged> context, IDocumentSession session) =>
        ChangeCameraAsync(context, session, context.Message.CameraId, context.Message.OccurredAt, EventTypes.WatchMeAcknowledged,
            data: c => new { camera = c.Describe(), acknowledgedBy = context.Message.ActorId });
}

public sealed class StreamWentLiveFact(FactWriter writer, FeedWriter feed, FeedSignal signal)
    : FactConsumer<StreamWentLive>(writer, feed, signal)
{
    protected override Task Handle(ConsumeContext<StreamWentLive> context, IDocumentSession session) =>
        ChangeCameraAsync(context, session, context.Message.CameraId, context.Message.OccurredAt, EventTypes.StreamLive, c => c with { Live = true });
}

public sealed class StreamEndedFact(FactWriter writer, FeedWriter feed, FeedSignal signal)
    : FactConsumer<StreamEnded>(writer, feed, signal)
{
    protected override Task Handle(ConsumeContext<StreamEnded> context, IDocumentSession session) =>
        ChangeCameraAsync(context, session, context.Message.CameraId, context.Message.OccurredAt, EventTypes.StreamEnded, c => c with { Live = false },
            c => new { camera = c.Describe(), reason = context.Message.Reason });
}

/// <summary>
/// Viewer sessions go out only where the force's policy allows it (<c>Integration:ShareViewers</c>,
/// off by default): who watches an officer is itself sensitive.
/// </summary>
public sealed class ViewerSessionStartedFact(FactWriter writer, FeedWriter feed, FeedSignal signal, IConfiguration configuration)
    : FactConsumer<ViewerSessionStarted>(writer, feed, signal)
{
    protected override Task Handle(ConsumeContext<ViewerSessionStarted> context, IDocumentSession session) =>
        configuration.GetValue("Integration:ShareViewers", false)
            ? ChangeCameraAsync(context, session, context.Message.CameraId, context.Message.OccurredAt, EventTypes.ViewerStarted,
                data: c => new { camera = c.Describe(), viewerId = context.Message.ViewerId, grantId = context.Message.GrantId })
            : Task.CompletedTask;
}

public sealed class ViewerSessionEndedFact(FactWriter writer, FeedWriter feed, FeedSignal signal, IConfiguration configuration)
    : FactConsumer<ViewerSessionEnded>(writer, feed, signal)
{
    protected override Task Handle(ConsumeContext<ViewerSessionEnded> context, IDocumentSession session) =>
        configuration.GetValue("Integration:ShareViewers", false)
            ? ChangeCameraAsync(context, session, context.Message.CameraId, context.Message.OccurredAt, EventTypes.ViewerEnded,
                data: c => new { camera = c.Describe(), viewerId = context.Message.ViewerId, grantId = context.Message.GrantId, reason = context.Message.Reason })
            : Task.CompletedTask;
}

public sealed class OperationOpenedFact(FactWriter writer, FeedWriter feed, FeedSignal signal)
    : FactConsumer<OperationOpened>(writer, feed, signal)
{
    // It looks at every camera's position: alone, it sees every position stored before it.
    protected override bool Alone => true;

    protected override async Task Handle(ConsumeContext<OperationOpened> context, IDocumentSession session)
    {
        var m = context.Message;
        var area = new OperationArea(m.OperationId, m.Name, m.Kind, m.Area, m.IncidentRef);
        session.Store(area);
        await Feed.AppendAsync(session, EventId(context), EventTypes.OperationOpened, null, m.OperationId, m.OccurredAt,
            new { operationId = m.OperationId, name = m.Name, kind = m.Kind, incidentRef = m.IncidentRef, area = new { type = "Polygon", coordinates = new[] { m.Area } } },
            context.CancellationToken, operations: [area]);

        // Cameras already inside the new area have entered it.
        var cameras = await session.Query<CameraState>().Where(c => c.Lat != null && c.OfficerId != null).ToListAsync(context.CancellationToken);
        foreach (var camera in cameras.Where(c => area.Contains(c.Lat!.Value, c.Lon!.Value)))
        {
            var moved = camera with { InOperations = [.. camera.Operations, area] };
            session.Store(moved);
            await MembershipAsync(context, session, camera.Id, EventTypes.OperationEntered, moved, moved, area, m.OccurredAt);
        }
    }
}

/// <summary>
/// Positions go out at most once per <c>Integration:PositionInterval</c> (30 s) per camera, the
/// latest of the batch; entering or leaving an operation's area goes out at once. A camera's batches
/// are looked at no more often than <c>Integration:PositionSampling</c> (5 s): CAD needs where its
/// resources are, not every fix, and the busiest stream in the system should cost this service little.
/// </summary>
public sealed class TelemetryFact(FactWriter writer, FeedWriter feed, FeedSignal signal, IConfiguration configuration, PositionSampling sampling)
    : FactConsumer<TelemetryReported>(writer, feed, signal), IConsumer<TelemetryReported>
{
    private readonly TimeSpan _interval = configuration.GetValue("Integration:PositionInterval", TimeSpan.FromSeconds(30));

    async Task IConsumer<TelemetryReported>.Consume(ConsumeContext<TelemetryReported> context)
    {
        // Skipping changes nothing, so it needs no record of the message either.
        if (context.Message.Samples.Count == 0 || !sampling.Due(context.Message.CameraId, context.Message.Samples.Max(s => s.At)))
        {
            await PassAsync(context);
            return;
        }

        await Consume(context);
    }

    protected override async Task Handle(ConsumeContext<TelemetryReported> context, IDocumentSession session)
    {
        var m = context.Message;
        var latest = m.Samples.MaxBy(s => s.At);
        var camera = await CameraAsync(session, m.CameraId, context.CancellationToken);
        if (latest is null || (camera.PositionAt is { } known && known >= latest.At))
        {
            return;
        }

        if (camera.OfficerId is null)
        {
            // Nobody's yet (the assignment may still be on its way): keep where it is, say nothing.
            session.Store(camera with { Lat = latest.Lat, Lon = latest.Lon, PositionAt = latest.At });
            return;
        }

        var areas = await session.Query<OperationArea>().ToListAsync(context.CancellationToken);
        var inside = areas.Where(a => a.Contains(latest.Lat, latest.Lon)).ToList();
        var moved = camera with { Lat = latest.Lat, Lon = latest.Lon, PositionAt = latest.At, InOperations = inside };
        foreach (var left in camera.Operations.Where(o => inside.All(i => i.Id != o.Id)))
        {
            await MembershipAsync(context, session, $"left-{left.Id}", EventTypes.OperationLeft, camera, moved, left, latest.At);
        }

        foreach (var entered in inside.Where(i => camera.Operations.All(o => o.Id != i.Id)))
        {
            await MembershipAsync(context, session, $"entered-{entered.Id}", EventTypes.OperationEntered, moved, moved, entered, latest.At);
        }

        if (camera.PositionSentAt is null || latest.At - camera.PositionSentAt >= _interval)
        {
            moved = moved with { PositionSentAt = latest.At };
            await Feed.AppendAsync(session, EventId(context), EventTypes.OfficerPosition, moved, m.CameraId, latest.At,
                new { camera = moved.Describe(), accuracyM = latest.AccuracyM, headingDeg = latest.HeadingDeg, speedMps = latest.SpeedMps },
                context.CancellationToken);
        }

        session.Store(moved);
    }
}

/// <summary>When each camera's positions were last looked at (in memory: after a restart, the next batch is).</summary>
public sealed class PositionSampling(IConfiguration configuration)
{
    private readonly TimeSpan _every = configuration.GetValue("Integration:PositionSampling", TimeSpan.FromSeconds(5));
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, DateTimeOffset> _last = new();

    public bool Due(string cameraId, DateTimeOffset latest)
    {
        if (_last.TryGetValue(cameraId, out var last) && latest - last < _every && latest >= last)
        {
            return false;
        }

        _last[cameraId] = latest;
        return true;
    }
}

public static class FactEndpoint
{
    public const string Name = "integration-facts";

    public static void AddFactConsumers(this IBusRegistrationConfigurator bus) =>
        bus.AddFactEndpoint(Name,
            typeof(CameraAssignedFact), typeof(CameraDockedFact), typeof(RecordingStartedFact), typeof(RecordingStoppedFact),
            typeof(WatchMeRequestedFact), typeof(WatchMeAcknowledgedFact), typeof(StreamWentLiveFact), typeof(StreamEndedFact),
            typeof(ViewerSessionStartedFact), typeof(ViewerSessionEndedFact), typeof(OperationOpenedFact), typeof(TelemetryFact));
}
