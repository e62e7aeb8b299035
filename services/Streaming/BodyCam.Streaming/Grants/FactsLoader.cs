using BodyCam.Contracts.Access;
using BodyCam.ServiceDefaults.Messaging;
using BodyCam.Streaming.Cameras;
using Marten;

namespace BodyCam.Streaming.Grants;

/// <summary>Loads cameras and grants into memory before the bus starts taking messages.</summary>
public sealed class FactsLoader(IDocumentStore store, CameraBook cameras, GrantBook grants) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await cameras.LoadAsync(store, cancellationToken);
        await grants.LoadAsync(store, cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
