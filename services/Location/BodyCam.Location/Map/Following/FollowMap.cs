using System.Net.ServerSentEvents;
using BodyCam.Location.Officers;
using BodyCam.ServiceDefaults;

namespace BodyCam.Location.Map.Following;

/// <summary>
/// <c>GET /api/location/stream</c>: server-sent events, one for each change to an officer's map
/// entry: <c>updated</c> carries the officer's Feature, <c>removed</c> says the officer left the map.
/// </summary>
public static class FollowMap
{
    public static RouteHandlerBuilder MapFollowMap(this RouteGroupBuilder location) =>
        location.MapGet("/stream", (LiveMap map, CancellationToken cancellationToken) =>
                TypedResults.ServerSentEvents(map.FollowAsync(cancellationToken).Select(c => new SseItem<MapChange>(c, c.Change))))
            .RequireRoles(MapReaders.Roles)
            .WithName("FollowMap")
            .WithSummary("Server-sent events: each change to an officer's map entry.");
}
