using BodyCam.ServiceDefaults;
using BodyCam.ServiceDefaults.Security;
using Marten;

namespace BodyCam.Authorisation.Grants.Listing;

/// <summary>
/// <c>GET /api/authorisation/grants?active=true&amp;cameraId=&amp;viewerId=</c>: supervisors, the control room
/// and compliance see every grant; anyone else sees their own. On the record once per reader and
/// query each quarter hour (consoles poll it).
/// </summary>
public static class ListGrants
{
    public static RouteHandlerBuilder MapListGrants(this RouteGroupBuilder grants) =>
        grants.MapGet("/", HandleAsync)
            .RequireRoles(Roles.Officer, Roles.Supervisor, Roles.ControlRoom, Roles.Compliance)
            .WithName("ListGrants")
            .WithSummary("Grants, newest first; an officer sees only their own.");

    private static async Task<IResult> HandleAsync(
        HttpContext http, IDocumentSession session, TimeProvider time, CancellationToken cancellationToken, bool? active = null, string? cameraId = null, string? viewerId = null, string? reason = null)
    {
        var seesAll = http.User.IsInRole(Roles.Supervisor) || http.User.IsInRole(Roles.ControlRoom) || http.User.IsInRole(Roles.Compliance);
        var viewer = seesAll ? viewerId : http.User.ActorId();
        var now = time.GetUtcNow();
        IQueryable<ViewGrant> query = session.Query<ViewGrant>().Where(g => g.State != GrantState.Denied && g.State != GrantState.Pending);
        if (active == true)
        {
            query = query.Where(g => g.State == GrantState.Active && g.ExpiresAt > now);
        }
        else if (active == false)
        {
            query = query.Where(g => g.State != GrantState.Active || g.ExpiresAt <= now);
        }

        if (cameraId is not null)
        {
            query = query.Where(g => g.CameraId == cameraId);
        }

        if (viewer is not null)
        {
            query = query.Where(g => g.ViewerId == viewer);
        }

        var found = await query.OrderByDescending(g => g.RequestedAt).Take(500).ToListAsync(cancellationToken);
        await PersonalDataReads.RecordPolledAsync(session, http, "authorisation", "grants", viewer ?? cameraId, found.Count, reason, now, cancellationToken);
        return TypedResults.Ok(found.Select(g => GrantView.Of(g)));
    }
}
