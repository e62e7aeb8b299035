using BodyCam.Authorisation.Policy;
using BodyCam.ServiceDefaults.Messaging;
using Marten;
using MassTransit;

namespace BodyCam.Authorisation.Cameras;

/// <summary>
/// A camera a view request may name: who wears it now, their command, whether it records. Kept from
/// ingest's facts, which share one endpoint taken one at a time, so they apply in order.
/// </summary>
public sealed record WatchableCamera(string Id, string? WearerId = null, string? WearerCommand = null, bool Recording = false, DateTimeOffset? RecordingChangedAt = null)
{
    public CameraState State => new(Id, WearerId, WearerCommand, Recording);
}
