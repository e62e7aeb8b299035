using BodyCam.Contracts.Cameras;
using BodyCam.ServiceDefaults.Messaging;
using Marten;

namespace BodyCam.Authorisation.Cameras;

internal static class Recording
{
    public static async Task StoreAsync(IDocumentSession session, string cameraId, bool recording, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var camera = await session.LoadAsync<WatchableCamera>(cameraId, cancellationToken) ?? new WatchableCamera(cameraId);
        if (camera.RecordingChangedAt is null || camera.RecordingChangedAt <= at)
        {
            session.Store(camera with { Recording = recording, RecordingChangedAt = at });
        }
    }
}
