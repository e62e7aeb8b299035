using BodyCam.Contracts.Streaming;
using BodyCam.ServiceDefaults.Messaging;
using Marten;
using MassTransit;

namespace BodyCam.Ingest.Viewers;

/// <summary>
/// Someone who holds a live grant to watch a camera. <see cref="Watching"/> is true while one of
/// their players is connected (streaming's viewer sessions on that grant).
/// </summary>
public sealed record CameraViewer(string GrantId, string ViewerId, string Role, string Purpose, DateTimeOffset Since, DateTimeOffset Until, IReadOnlyList<string>? Sessions = null)
{
    public bool Watching => Sessions is { Count: > 0 };
}
