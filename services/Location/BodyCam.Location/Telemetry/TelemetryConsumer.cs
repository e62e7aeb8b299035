using BodyCam.Contracts.Telemetry;
using BodyCam.Location.Map;
using BodyCam.Location.Map.Sharing;
using Marten;
using MassTransit;

namespace BodyCam.Location.Telemetry;

/// <summary>
/// Stores position samples in batches and moves officers on the live map. Every sample is kept as a
/// track point whose id is the camera and the sample time, so a batch delivered or sent twice adds
/// nothing; the latest position moves only forwards in time.
/// </summary>
public sealed class TelemetryConsumer(IDocumentStore store, TrackPoints track, LiveMap map, MapChanges changes) : IConsumer<Batch<TelemetryReported>>
{
    public async Task Consume(ConsumeContext<Batch<TelemetryReported>> context)
    {
        var points = new Dictionary<(string, DateTimeOffset), TrackPoint>();
        var latest = new Dictionary<string, TelemetrySample>(StringComparer.Ordinal);
        foreach (var message in context.Message)
        {
            var report = message.Message;
            foreach (var s in report.Samples)
            {
                points[(report.CameraId, s.At)] = new TrackPoint(report.CameraId, s.At, s.Lat, s.Lon, s.AccuracyM, s.HeadingDeg, s.SpeedMps, s.BatteryPct);
                if (!latest.TryGetValue(report.CameraId, out var newest) || s.At > newest.At)
                {
                    latest[report.CameraId] = s;
                }
            }
        }

        await track.InsertAsync(points.Values, context.CancellationToken);

        var moves = latest
            .Where(l => map.Entry(l.Key)?.At is not { } at || l.Value.At > at)
            .Select(l => new PositionFacet(l.Key, l.Value.At, l.Value.Lat, l.Value.Lon, l.Value.AccuracyM, l.Value.HeadingDeg, l.Value.SpeedMps, l.Value.BatteryPct))
            .ToList();
        if (moves.Count > 0)
        {
            await using var session = store.LightweightSession();
            session.Store(moves.ToArray());
            await session.SaveChangesAsync(context.CancellationToken);
            foreach (var move in moves)
            {
                changes.Share(new MapFact(move.Id) { Position = move });
            }
        }
    }
}

public static class TelemetryConsumers
{
    public static void AddTelemetryConsumer(this IBusRegistrationConfigurator bus) =>
        bus.AddConsumer<TelemetryConsumer>(c => c.Options<BatchOptions>(o => o
                .SetMessageLimit(200)
                .SetTimeLimit(TimeSpan.FromMilliseconds(20))
                .SetConcurrencyLimit(1)))
            .Endpoint(e => e.PrefetchCount = 400);
}
