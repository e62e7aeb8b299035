using System.Text.Json.Serialization;
using BodyCam.Ingest.Cameras;
using BodyCam.Ingest.Devices;
using BodyCam.ServiceDefaults;
using BodyCam.ServiceDefaults.Security;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;

namespace BodyCam.Ingest.Recording.Reporting;

[JsonConverter(typeof(JsonStringEnumConverter<RecordingState>))]
public enum RecordingState
{
    [JsonStringEnumMemberName("recording")]
    Recording,

    [JsonStringEnumMemberName("stopped")]
    Stopped,
}

public sealed record RecordingReport(RecordingState State, DateTimeOffset At);

public sealed record RecordingAccepted(string CameraId, RecordingState State, bool Changed);

/// <summary>
/// <c>POST /api/ingest/cameras/{cameraId}/recording</c> (the camera's device token): the camera started
/// or stopped recording. Stored first, then published; 202 once stored. A report that repeats the
/// current state, or is older than the last change, changes nothing (a camera resending is harmless).
/// </summary>
public static class ReportRecording
{
    public static RouteHandlerBuilder MapReportRecording(this RouteGroupBuilder cameras) =>
        cameras.MapPost("/{cameraId}/recording", HandleAsync)
            .RequireRoles(Roles.Device)
            .WithName("ReportRecording")
            .WithSummary("The camera started or stopped recording.");

    private static async Task<Results<Accepted<RecordingAccepted>, ValidationProblem, ProblemHttpResult>> HandleAsync(
        string cameraId, RecordingReport report, HttpContext http, IDocumentSession session, AccessRefusals refusals,
        TimeProvider time, CancellationToken cancellationToken)
    {
        var (stream, refused) = await DeviceAccess.OpenOwnCameraAsync(http, cameraId, report.At, session, refusals, time, cancellationToken);
        if (refused is not null)
        {
            return refused;
        }

        var events = CameraDecisions.ReportRecording(stream!.Aggregate!, report.State == RecordingState.Recording,
            new Change(http.User.ActorId(), report.At.ToUniversalTime(), http.CorrelationId()));
        if (events.Count > 0)
        {
            stream.AppendMany(events);
            await session.SaveChangesAsync(cancellationToken);
        }

        return TypedResults.Accepted((string?)null, new RecordingAccepted(cameraId, report.State, events.Count > 0));
    }
}
