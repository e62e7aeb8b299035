using BodyCam.Location.Map;
using BodyCam.Location.Map.Sharing;
using Marten;

namespace BodyCam.Location.Cameras;

/// <summary>
/// Streaming's facts about a camera: whether it is live, and who is watching. They share the camera
/// facts' endpoint, so they apply in order with the camera's other facts.
/// </summary>
internal static class StreamingFacts
{
    public static async Task<StreamingFacet> StoreAsync(
        IDocumentSession session, string cameraId, DateTimeOffset at, Func<StreamingFacet, StreamingFacet> change, CancellationToken cancellationToken)
    {
        var current = await session.LoadAsync<StreamingFacet>(cameraId, cancellationToken) ?? new StreamingFacet(cameraId, false, at, []);
        var next = change(current) with { ChangedAt = at };
        session.Store(next);
        return next;
    }

    public static void Share(MapChanges changes, StreamingFacet? facet)
    {
        if (facet is not null)
        {
            changes.Share(new MapFact(facet.Id) { Streaming = facet });
        }
    }
}
