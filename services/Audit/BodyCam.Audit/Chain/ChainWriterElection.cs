using BodyCam.ServiceDefaults;
using BodyCam.ServiceDefaults.Messaging.Redelivery;
using MassTransit;

namespace BodyCam.Audit.Chain;

/// <summary>
/// Makes this instance the chain's writer while it is elected (<see cref="Elections"/>): it connects
/// the recording queue, so every fact reaches the one <see cref="AuditChain"/> that appends, and
/// stops taking from it when the hold is lost. Other instances answer queries, proofs and tiles.
/// </summary>
public sealed class ChainWriterElection : ElectedService
{
    private readonly IReceiveEndpointConnector _connector;
    private readonly AuditChain _chain;

    public ChainWriterElection(Elections elections, IReceiveEndpointConnector connector, AuditChain chain, ServiceQueues queues)
        : base(elections, "chain-writer")
    {
        _connector = connector;
        _chain = chain;
        // Redelivery routes delayed messages back to this queue by name, whoever is elected.
        queues.Add(RecordingConsumers.Endpoint);
    }

    protected override async Task RunElectedAsync(CancellationToken electedToken)
    {
        // Another instance may have written since this one last did.
        _chain.ForgetHead();
        var handle = _connector.ConnectReceiveEndpoint(RecordingConsumers.Endpoint, RecordingConsumers.Configure);
        try
        {
            await handle.Ready.WaitAsync(electedToken);
            await Task.Delay(Timeout.Infinite, electedToken);
        }
        finally
        {
            using var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await handle.StopAsync(stopping.Token);
        }
    }
}
