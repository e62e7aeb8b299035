using System.Collections.Concurrent;
using BodyCam.Contracts.Cameras;
using BodyCam.ServiceDefaults.Messaging;
using BodyCam.Streaming.Live;
using Marten;
using MassTransit;

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

public sealed class CameraRegisteredConsumer(FactWriter writer, CameraBook cameras) : IdempotentConsumer<CameraRegistered>(writer)
{
    protected override DocumentKey? Loads(CameraRegistered m) => DocumentKey.Of<StreamingCamera>(m.CameraId);

    private StreamingCamera? _stored;

    protected override async Task Handle(ConsumeContext<CameraRegistered> context, IDocumentSession session)
    {
        var current = await session.LoadAsync<StreamingCamera>(context.Message.CameraId, context.CancellationToken);
        _stored = current ?? new StreamingCamera(context.Message.CameraId, context.Message.OccurredAt);
        session.Store(_stored);
    }

    protected override void Committed(ConsumeContext<CameraRegistered> context) => cameras.Set(_stored!);
}

public sealed class RecordingStartedConsumer(FactWriter writer, CameraBook cameras) : IdempotentConsumer<RecordingStarted>(writer)
{
    protected override DocumentKey? Loads(RecordingStarted m) => DocumentKey.Of<StreamingCamera>(m.CameraId);

    private StreamingCamera? _stored;

    protected override async Task Handle(ConsumeContext<RecordingStarted> context, IDocumentSession session) =>
        _stored = await CameraFacts.RecordAsync(session, context.Message.CameraId, true, context.Message.OccurredAt, context.CancellationToken);

    protected override void Committed(ConsumeContext<RecordingStarted> context) => cameras.Set(_stored!);
}

/// <summary>A camera that stops recording may no longer be watched: its viewers are cut off now.</summary>
public sealed class RecordingStoppedConsumer(FactWriter writer, CameraBook cameras, LiveStreams streams) : IdempotentConsumer<RecordingStopped>(writer)
{
    protected override DocumentKey? Loads(RecordingStopped m) => DocumentKey.Of<StreamingCamera>(m.CameraId);

    private StreamingCamera? _stored;

    protected override async Task Handle(ConsumeContext<RecordingStopped> context, IDocumentSession session) =>
        _stored = await CameraFacts.RecordAsync(session, context.Message.CameraId, false, context.Message.OccurredAt, context.CancellationToken);

    protected override void Committed(ConsumeContext<RecordingStopped> context)
    {
        cameras.Set(_stored!);
        streams.CutOffCamera(context.Message.CameraId, EndReasons.RecordingStopped, "The camera stopped recording.");
    }
}

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
