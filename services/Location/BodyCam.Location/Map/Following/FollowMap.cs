using System.Net.ServerSentEvents;
using BodyCam.Location.Officers;
using BodyCam.ServiceDefaults;
using BodyCam.ServiceDefaults.Security;
using Marten;

namespace BodyCam.Location.Map.Following;

/// <summary>
/// <c>GET /api/location/stream</c>: server-sent events, one for each change to an officer's map
/// entry: <c>updated</c> carries the officer's Feature, <c>removed</c> says the officer left the map.
/// A feed is on the record per session, not per message: once when it opens, and once when it
/// closes with how long it ran and how many changes it carried.
/// </summary>
public static class FollowMap
{
    public static RouteHandlerBuilder MapFollowMap(this RouteGroupBuilder location) =>
        location.MapGet("/stream", (LiveMap map, HttpContext http, IDocumentStore store, TimeProvider time, CancellationToken cancellationToken, string? reason = null) =>
                TypedResults.ServerSentEvents(map.FollowAsync(cancellationToken).Select(c => new SseItem<MapChange>(c, c.Change))
                    .RecordedAsync(store, http, "location", "live-map-feed", reason, time, cancellationToken)))
            .RequireRoles(MapReaders.Roles)
            .WithName("FollowMap")
            .WithSummary("Server-sent events: each change to an officer's map entry.");
}
