using BodyCam.Contracts.Access;
using BodyCam.ServiceDefaults.Messaging;
using BodyCam.Streaming.Live;
using Marten;
using MassTransit;

namespace BodyCam.Streaming.Grants;

/// <summary>An extended grant keeps its open sessions going until the new expiry.</summary>
public sealed class GrantExtendedConsumer(FactWriter writer, GrantBook grants, LiveStreams streams) : IdempotentConsumer<GrantExtended>(writer)
{
    protected override DocumentKey? Loads(GrantExtended m) => DocumentKey.Of<GrantFact>(m.GrantId);

    private GrantFact? _stored;

    protected override async Task Handle(ConsumeContext<GrantExtended> context, IDocumentSession session) =>
        _stored = await GrantFacts.StoreAsync(session, context.Message.GrantId, context.Message.CameraId,
            f => f with { ExtendedUntil = context.Message.ExpiresAt }, context.CancellationToken);

    protected override void Committed(ConsumeContext<GrantExtended> context)
    {
        grants.Set(_stored!);
        if (_stored!.EndedBecause is null)
        {
            streams.ExtendGrant(context.Message.GrantId, context.Message.ExpiresAt);
        }
    }
}
