using System.Collections.Concurrent;
using BodyCam.ServiceDefaults.Messaging;
using BodyCam.Streaming.Live;
using Marten;

namespace BodyCam.Streaming.Cameras;

/// <summary>
/// A camera as streaming knows it from ingest's facts: whether it is recording (only a recording
/// camera is watched), or null before its first recording fact arrives. Pushing needs no fact: the
/// device token, issued only to a registered camera, names the camera.
/// </summary>
public sealed record StreamingCamera(string Id, DateTimeOffset RegisteredAt, bool? Recording = null, DateTimeOffset? RecordingSince = null);

/// <summary>The cameras in memory, mirrored from the store after each commit and loaded at start.</summary>
public sealed class CameraBook
{
    private readonly ConcurrentDictionary<string, StreamingCamera> _cameras = new();

    public StreamingCamera? Find(string cameraId) => _cameras.GetValueOrDefault(cameraId);

    public void Set(StreamingCamera camera) => _cameras[camera.Id] = camera;

    public async Task LoadAsync(IDocumentStore store, CancellationToken cancellationToken)
    {
        await using var session = store.QuerySession();
        foreach (var camera in await session.Query<StreamingCamera>().ToListAsync(cancellationToken))
        {
            Set(camera);
        }
    }
}
