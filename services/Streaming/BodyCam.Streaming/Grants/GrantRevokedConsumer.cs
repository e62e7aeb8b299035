using BodyCam.Contracts.Access;
using BodyCam.ServiceDefaults.Messaging;
using BodyCam.Streaming.Live;
using Marten;
using MassTransit;

namespace BodyCam.Streaming.Grants;

public sealed class GrantRevokedConsumer(FactWriter writer, GrantBook grants, LiveStreams streams) : IdempotentConsumer<GrantRevoked>(writer)
{
    protected override DocumentKey? Loads(GrantRevoked m) => DocumentKey.Of<GrantFact>(m.GrantId);

    private GrantFact? _stored;

    protected override async Task Handle(ConsumeContext<GrantRevoked> context, IDocumentSession session) =>
        _stored = await GrantFacts.StoreAsync(session, context.Message.GrantId, context.Message.CameraId,
            f => f with { EndedBecause = EndReasons.GrantRevoked, EndDetail = context.Message.Reason }, context.CancellationToken);

    protected override void Committed(ConsumeContext<GrantRevoked> context)
    {
        grants.Set(_stored!);
        streams.CutOffGrant(context.Message.GrantId, EndReasons.GrantRevoked, context.Message.Reason);
    }
}
