using System.Security.Cryptography;
using System.Text;
using BodyCam.Contracts.Telemetry;
using BodyCam.Ingest.Devices;
using BodyCam.ServiceDefaults;
using BodyCam.ServiceDefaults.Problems;
using BodyCam.ServiceDefaults.Security;
using Marten;
using MassTransit;
using Microsoft.AspNetCore.Http.HttpResults;

namespace BodyCam.Ingest.Telemetry.Reporting;

public sealed record TelemetryBatch(IReadOnlyList<TelemetrySampleRequest> Samples);

public sealed record TelemetrySampleRequest(
    DateTimeOffset At, double Lat, double Lon, double? AccuracyM = null, double? HeadingDeg = null, double? SpeedMps = null, double? BatteryPct = null);

public sealed record TelemetryAccepted(string CameraId, int Accepted);

/// <summary>
/// <c>POST /api/ingest/cameras/{cameraId}/telemetry</c> (the camera's own device token): a batch of
/// position samples. The camera is the outbox: ingest answers 202 only once RabbitMQ has confirmed
/// the batch, and a camera that gets no 2xx sends the same batch again (location drops repeats by
/// camera and sample time). A batch is taken whole or not at all: one invalid sample refuses the
/// batch with a 400 naming each bad sample, and nothing is published. Cameras drop fixes they know
/// to be bad before sending.
/// </summary>
public static class ReportTelemetry
{
    public const int MaxSamples = 500;
    public const int MaxBodyBytes = 256 * 1024;
    public static readonly TimeSpan MaxClockAhead = TimeSpan.FromMinutes(2);
    public static readonly TimeSpan MaxAge = TimeSpan.FromDays(7);

    public static RouteHandlerBuilder MapReportTelemetry(this RouteGroupBuilder cameras) =>
        cameras.MapPost("/{cameraId}/telemetry", HandleAsync)
            .RequireRoles(Roles.Device)
            // 500 samples fit in well under this; anything bigger is refused before it is read.
            .WithMetadata(new Microsoft.AspNetCore.Mvc.RequestSizeLimitAttribute(MaxBodyBytes))
            .WithName("ReportTelemetry")
            .WithSummary("A batch of the camera's position samples; 202 once the broker has it.")
            .WithDescription(
                "The camera's own device token only. 1 to 500 samples. A batch is taken whole or not at all: if any sample is " +
                "invalid (lat outside -90..90, lon outside -180..180, at more than 2 minutes ahead or 7 days old, a negative " +
                "accuracy or speed, a heading outside 0..360, a battery outside 0..100) the answer is 400 with errors keyed " +
                "samples[i] for each bad sample, and nothing is published. 202 means RabbitMQ has confirmed the batch; a camera " +
                "that gets no 2xx sends the same batch again, and repeats (same camera, same sample time) are dropped.");

    private static async Task<Results<Accepted<TelemetryAccepted>, ValidationProblem, ProblemHttpResult>> HandleAsync(
        string cameraId, TelemetryBatch batch, HttpContext http, IQuerySession session, KnownCameras known, IBus bus,
        LastSeen lastSeen, AccessRefusals refusals, TimeProvider time, CancellationToken cancellationToken)
    {
        if (await DeviceAccess.RefuseUnlessOwnCameraAsync(http, cameraId, refusals) is { } refused)
        {
            return refused;
        }

        if (batch.Samples.Count > MaxSamples)
        {
            return TypedResults.Problem($"A batch holds at most {MaxSamples} samples; this one has {batch.Samples.Count}. Send smaller batches.",
                statusCode: StatusCodes.Status413PayloadTooLarge, title: "Batch too large", type: ProblemTypes.PayloadTooLarge);
        }

        var now = time.GetUtcNow();
        var errors = Validate(batch, now);
        if (errors.Count > 0)
        {
            return Problem.Invalid(errors);
        }

        if (!await known.ExistsAsync(session, cameraId, cancellationToken))
        {
            return Problem.NotFound($"No camera '{cameraId}' is registered.");
        }

        var samples = batch.Samples
            .Select(s => new TelemetrySample(s.At.ToUniversalTime(), s.Lat, s.Lon, s.AccuracyM, s.HeadingDeg, s.SpeedMps, s.BatteryPct))
            .ToList();
        var reported = new TelemetryReported(cameraId, samples, http.User.ActorId(), now, http.CorrelationId());
        // The same batch sent again carries the same message id.
        await bus.Publish(reported, context => context.MessageId = BatchId(cameraId, samples), cancellationToken);
        lastSeen.Saw(cameraId, samples.Max(s => s.At));
        return TypedResults.Accepted((string?)null, new TelemetryAccepted(cameraId, samples.Count));
    }

    private static Dictionary<string, string[]> Validate(TelemetryBatch batch, DateTimeOffset now)
    {
        var errors = new Dictionary<string, string[]>();
        if (batch.Samples.Count == 0)
        {
            errors["samples"] = ["Send at least one sample."];
        }

        for (var i = 0; i < batch.Samples.Count; i++)
        {
            var s = batch.Samples[i];
            var problems = new List<string>();
            if (!double.IsFinite(s.Lat) || s.Lat is < -90 or > 90)
            {
                problems.Add("lat must be between -90 and 90.");
            }

            if (!double.IsFinite(s.Lon) || s.Lon is < -180 or > 180)
            {
                problems.Add("lon must be between -180 and 180.");
            }

            if (s.At > now + MaxClockAhead)
            {
                problems.Add($"at is more than {MaxClockAhead.TotalMinutes} minutes in the future: check the camera's clock.");
            }

            if (s.At < now - MaxAge)
            {
                problems.Add($"at is more than {MaxAge.TotalDays} days old.");
            }

            if (s.AccuracyM is { } accuracy && (!double.IsFinite(accuracy) || accuracy < 0))
            {
                problems.Add("accuracyM must be 0 or more.");
            }

            if (s.HeadingDeg is { } heading && (!double.IsFinite(heading) || heading is < 0 or >= 360))
            {
                problems.Add("headingDeg must be from 0 to less than 360.");
            }

            if (s.SpeedMps is { } speed && (!double.IsFinite(speed) || speed is < 0 or > 150))
            {
                problems.Add("speedMps must be between 0 and 150.");
            }

            if (s.BatteryPct is { } battery && (!double.IsFinite(battery) || battery is < 0 or > 100))
            {
                problems.Add("batteryPct must be between 0 and 100.");
            }

            if (problems.Count > 0)
            {
                errors[$"samples[{i}]"] = [.. problems];
            }
        }

        return errors;
    }

    private static Guid BatchId(string cameraId, IReadOnlyList<TelemetrySample> samples)
    {
        var key = new StringBuilder(cameraId);
        foreach (var s in samples)
        {
            key.Append('|').Append(s.At.UtcTicks);
        }

        return new Guid(SHA256.HashData(Encoding.UTF8.GetBytes(key.ToString())).AsSpan(0, 16));
    }
}

/// <summary>Registered cameras, remembered once seen: cameras are never unregistered.</summary>
public sealed class KnownCameras
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> _known = new(StringComparer.Ordinal);

    public async Task<bool> ExistsAsync(IQuerySession session, string cameraId, CancellationToken cancellationToken)
    {
        if (_known.ContainsKey(cameraId))
        {
            return true;
        }

        var exists = await DeviceAccess.FindAsync(session, cameraId, cancellationToken) is not null;
        if (exists)
        {
            _known[cameraId] = true;
        }

        return exists;
    }
}
