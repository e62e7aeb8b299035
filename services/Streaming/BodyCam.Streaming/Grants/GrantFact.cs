using System.Collections.Concurrent;
using BodyCam.ServiceDefaults.Messaging;
using BodyCam.Streaming.Cameras;
using BodyCam.Streaming.Live;
using Marten;

namespace BodyCam.Streaming.Grants;

/// <summary>
/// What streaming knows of a grant beyond its token: that it ended early (revoked, expired) or was
/// extended past the token's expiry. A stream token is verified locally; these facts make sure a
/// token of a revoked grant opens nothing, and an extension keeps an open session going.
/// </summary>
public sealed record GrantFact(string Id, string CameraId, DateTimeOffset? ExtendedUntil = null, string? EndedBecause = null, string? EndDetail = null);

public sealed class GrantBook
{
    private readonly ConcurrentDictionary<string, GrantFact> _grants = new();

    public GrantFact? Find(string grantId) => _grants.GetValueOrDefault(grantId);

    public void Set(GrantFact fact) => _grants[fact.Id] = fact;

    /// <summary>
    /// Keeps what authorisation said of a grant only when no fact about it has arrived meanwhile: a
    /// revocation heard while the question was on its way must not be overwritten by the older answer.
    /// </summary>
    public void Remember(GrantFact answer) => _grants.TryAdd(answer.Id, answer);

    public async Task LoadAsync(IDocumentStore store, CancellationToken cancellationToken)
    {
        await using var session = store.QuerySession();
        foreach (var fact in await session.Query<GrantFact>().ToListAsync(cancellationToken))
        {
            Set(fact);
        }
    }
}
