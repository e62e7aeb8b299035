using BodyCam.Contracts.Operations;
using BodyCam.Contracts.Streaming;
using BodyCam.Contracts.Telemetry;
using BodyCam.Integration.Feed;
using BodyCam.ServiceDefaults.Messaging;
using Marten;
using MassTransit;

namespace BodyCam.Integration.Facts;

/// <summary>
/// Positions go out at most once per <c>Integration:PositionInterval</c> (30 s) per camera, the
/// latest of the batch; entering or leaving an operation's area goes out at once. A camera's batches
/// are looked at no more often than <c>Integration:PositionSampling</c> (5 s): CAD needs where its
/// resources are, not every fix, and the busiest stream in the system should cost this service little.
/// </summary>
public sealed class TelemetryFact(FactWriter writer, FeedWriter feed, FeedSignal signal, IConfiguration configuration, PositionSampling sampling)
    : FactConsumer<TelemetryReported>(writer, feed, signal)
{
    private readonly TimeSpan _interval = configuration.GetValue("Integration:PositionInterval", TimeSpan.FromSeconds(30));

    protected override bool ShouldHandle(TelemetryReported message) =>
        message.Samples.Count > 0 && sampling.Due(message.CameraId, message.Samples.Max(s => s.At));

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
