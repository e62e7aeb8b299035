using BodyCam.Location.Map;
using BodyCam.Location.Officers;
using BodyCam.Location.Operations.Opening;
using BodyCam.ServiceDefaults;
using BodyCam.ServiceDefaults.Problems;
using BodyCam.ServiceDefaults.Security;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;

namespace BodyCam.Location.Operations.Listing;

/// <summary>
/// <c>GET /api/location/operations</c>, <c>GET /api/location/operations/{operationId}</c> and
/// <c>GET /api/location/operations/{operationId}/officers</c>: the operations, and the officers on the
/// map inside one's area now.
/// </summary>
public static class ListOperations
{
    public static RouteGroupBuilder MapListOperations(this RouteGroupBuilder operations)
    {
        operations.MapGet("/", (OperationAreas areas) => TypedResults.Ok(areas.All.Select(OperationView.Of)))
            .RequireRoles(MapReaders.Roles)
            .WithName("ListOperations")
            .WithSummary("The open operations.");
        operations.MapGet("/{operationId}", Results<Ok<OperationView>, ProblemHttpResult> (string operationId, OperationAreas areas) =>
                areas.Find(operationId) is { } found ? TypedResults.Ok(OperationView.Of(found.Operation)) : Problem.NotFound($"No operation '{operationId}'."))
            .RequireRoles(MapReaders.Roles)
            .WithName("GetOperation");
        operations.MapGet("/{operationId}/officers", async Task<Results<Ok<OfficerFeatureCollection>, ProblemHttpResult>> (
                string operationId, OperationAreas areas, LiveMap map, HttpContext http, IDocumentSession session, TimeProvider time, CancellationToken cancellationToken, string? reason = null) =>
            {
                if (areas.Find(operationId) is not { } found)
                {
                    return Problem.NotFound($"No operation '{operationId}'.");
                }

                var box = found.Area.EnvelopeInternal;
                var inside = map.InBox(box.MinX, box.MinY, box.MaxX, box.MaxY, e => OperationAreas.Contains(found.Area, e.Lat!.Value, e.Lon!.Value)).ToList();
                await PersonalDataReads.RecordPolledAsync(session, http, "location", "operation-officers", operationId, inside.Count, reason, time.GetUtcNow(), cancellationToken);
                return TypedResults.Ok(new OfficerFeatureCollection([.. inside.Select(e => OfficerFeature.Of(e, areas))]));
            })
            .RequireRoles(MapReaders.Roles)
            .WithName("ListOperationOfficers")
            .WithSummary("The officers on the map inside an operation's area now.");
        return operations;
    }
}
