using BodyCam.Contracts.Access;
using BodyCam.ServiceDefaults.Messaging;
using BodyCam.Streaming.Live;
using Marten;
using MassTransit;

namespace BodyCam.Streaming.Grants;

public sealed class GrantExpiredConsumer(FactWriter writer, GrantBook grants, LiveStreams streams) : IdempotentConsumer<GrantExpired>(writer)
{
    protected override DocumentKey? Loads(GrantExpired m) => DocumentKey.Of<GrantFact>(m.GrantId);

    private GrantFact? _stored;

    protected override async Task Handle(ConsumeContext<GrantExpired> context, IDocumentSession session) =>
        _stored = await GrantFacts.StoreAsync(session, context.Message.GrantId, context.Message.CameraId,
            f => f with { EndedBecause = f.EndedBecause ?? EndReasons.GrantExpired, EndDetail = f.EndDetail ?? "The grant has expired." }, context.CancellationToken);

    protected override void Committed(ConsumeContext<GrantExpired> context)
    {
        grants.Set(_stored!);
        streams.CutOffGrant(context.Message.GrantId, EndReasons.GrantExpired, "The grant has expired.");
    }
}
