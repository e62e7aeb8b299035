using BodyCam.Contracts.Streaming;
using BodyCam.ServiceDefaults.Messaging;
using Marten;
using MassTransit;

namespace BodyCam.Ingest.Viewers;

/// <summary>Who may watch a camera now, kept from authorisation's grant facts.</summary>
public sealed record CameraViewers(string Id, IReadOnlyList<CameraViewer> Viewers)
{
    /// <summary>Adds or replaces a viewer; grants that have run out by then are dropped.</summary>
    public CameraViewers With(CameraViewer viewer) =>
        this with { Viewers = [.. Viewers.Where(v => v.GrantId != viewer.GrantId && v.Until > viewer.Since), viewer] };

    public CameraViewers Without(string grantId) => this with { Viewers = [.. Viewers.Where(v => v.GrantId != grantId)] };
}
