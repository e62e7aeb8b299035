using BodyCam.Location.Map;
using Marten;

namespace BodyCam.Location.Cameras;

internal static class RecordingFacts
{
    public static async Task StoreAsync(IDocumentSession session, string cameraId, bool recording, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var current = await session.LoadAsync<RecordingFacet>(cameraId, cancellationToken);
        if (current is null || current.ChangedAt <= at)
        {
            session.Store(new RecordingFacet(cameraId, recording, at));
        }
    }
}
