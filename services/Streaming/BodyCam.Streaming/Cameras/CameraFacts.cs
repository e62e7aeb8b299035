using BodyCam.Contracts.Cameras;
using BodyCam.ServiceDefaults.Messaging;
using BodyCam.Streaming.Live;
using Marten;

namespace BodyCam.Streaming.Cameras;

internal static class CameraFacts
{
    public static async Task<StreamingCamera> RecordAsync(IDocumentSession session, string cameraId, bool recording, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var current = await session.LoadAsync<StreamingCamera>(cameraId, cancellationToken) ?? new StreamingCamera(cameraId, at);
        var next = current with { Recording = recording, RecordingSince = recording ? at : null };
        session.Store(next);
        return next;
    }
}
