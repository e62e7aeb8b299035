using BodyCam.Contracts.Streaming;
using BodyCam.ServiceDefaults.Messaging;
using Marten;

namespace BodyCam.Ingest.Viewers;

internal static class CameraViewersSession
{
    /// <summary>
    /// Stores <paramref name="next"/> in place of <paramref name="previous"/>. A batch of facts
    /// (the fact writer's) often changes one camera's list many times: each Store would queue its
    /// own upsert of the whole list, so the one queued for the version this replaces is taken back
    /// and the batch writes each list once, in its last state.
    /// </summary>
    public static void Replace(this IDocumentSession session, CameraViewers previous, CameraViewers next)
    {
        session.Eject(previous);
        session.Store(next);
    }

    public static async Task RemoveAsync(IDocumentSession session, string cameraId, string grantId, CancellationToken cancellationToken)
    {
        if (await session.LoadAsync<CameraViewers>(cameraId, cancellationToken) is { } current)
        {
            session.Replace(current, current.Without(grantId));
        }
    }
}
