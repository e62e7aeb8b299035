using System.Text.RegularExpressions;
using BodyCam.Contracts.Operations;
using BodyCam.Location.Map.Sharing;
using BodyCam.ServiceDefaults;
using BodyCam.ServiceDefaults.Problems;
using BodyCam.ServiceDefaults.Security;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;

namespace BodyCam.Location.Operations.Opening;

/// <summary>A GeoJSON Polygon: an outer ring of [lon, lat] positions, closed.</summary>
public sealed record PolygonGeometry(string Type, double[][][] Coordinates);

public sealed record OpenOperationRequest(string Name, string Kind, PolygonGeometry Area, string? IncidentRef = null);

public sealed record OperationView(string OperationId, string Name, string Kind, PolygonGeometry Area, string? IncidentRef, string OpenedBy, DateTimeOffset OpenedAt)
{
    public static OperationView Of(Operation o) =>
        new(o.OperationId, o.Name, o.Kind, new PolygonGeometry("Polygon", [[.. o.Area]]), o.IncidentRef, o.OpenedBy, o.OpenedAt);
}

/// <summary>
/// <c>POST /api/location/operations</c> (supervisor, control room): opens a named area (a football
/// match, a protest, a pursuit) whose officers the map can list. The area is a GeoJSON Polygon with
/// one ring; holes are not supported.
/// </summary>
public static partial class OpenOperation
{
    public static readonly IReadOnlySet<string> Kinds = new HashSet<string>(StringComparer.Ordinal) { "football", "protest", "pursuit", "event", "other" };
    private const int MaxRingPositions = 1000;

    public static RouteHandlerBuilder MapOpenOperation(this RouteGroupBuilder operations) =>
        operations.MapPost("/", HandleAsync)
            .RequireRoles(Roles.Supervisor, Roles.ControlRoom)
            .WithName("OpenOperation")
            .WithSummary("Open an operation: a named area whose officers the live map lists.");

    /// <summary>How many operations one person may open in a day: each is kept in memory for the map's filters.</summary>
    public const int MaxPerPersonPerDay = 100;

    private static async Task<Results<Created<OperationView>, ValidationProblem, ProblemHttpResult>> HandleAsync(
        OpenOperationRequest request, HttpContext http, IDocumentSession session, OperationAreas areas, MapChanges changes, TimeProvider time, CancellationToken cancellationToken)
    {
        var errors = Validate(request);
        if (errors.Count > 0)
        {
            return Problem.Invalid(errors);
        }

        var actor = http.User.ActorId();
        var since = time.GetUtcNow().AddDays(-1);
        if (areas.All.Count(o => o.OpenedBy == actor && o.OpenedAt > since) >= MaxPerPersonPerDay)
        {
            return TypedResults.Problem($"One person opens at most {MaxPerPersonPerDay} operations a day.", statusCode: StatusCodes.Status429TooManyRequests,
                title: "Too many operations", type: ProblemTypes.TooManyRequests);
        }

        var operationId = $"op-{Guid.CreateVersion7():N}"[..19];
        var opened = new OperationOpened(operationId, request.Name.Trim(), request.Kind, request.Area.Coordinates[0], request.IncidentRef,
            http.User.ActorId(), time.GetUtcNow(), http.CorrelationId());
        session.Events.StartStream<Operation>(Operation.StreamKey(operationId), opened);
        await session.SaveChangesAsync(cancellationToken);

        var operation = await session.LoadAsync<Operation>(Operation.StreamKey(operationId), cancellationToken)
            ?? throw new InvalidOperationException($"Operation {operationId} was stored but cannot be read back.");
        changes.Share(operation);
        return TypedResults.Created($"/api/location/operations/{operationId}", OperationView.Of(operation));
    }

    private static Dictionary<string, string[]> Validate(OpenOperationRequest request)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(request.Name) || request.Name.Length > 100)
        {
            errors["name"] = ["Give the operation a name, at most 100 characters."];
        }

        if (!Kinds.Contains(request.Kind))
        {
            errors["kind"] = [$"kind is one of: {string.Join(", ", Kinds)}."];
        }

        if (request.IncidentRef is not null && !IncidentRefPattern().IsMatch(request.IncidentRef))
        {
            errors["incidentRef"] = ["An incident reference is 1 to 64 letters, digits, '/', '-' or '_'."];
        }

        var area = AreaErrors(request.Area);
        if (area is not null)
        {
            errors["area"] = [area];
        }

        return errors;
    }

    private static string? AreaErrors(PolygonGeometry area)
    {
        if (area.Type != "Polygon")
        {
            return "area is a GeoJSON Polygon: {\"type\":\"Polygon\",\"coordinates\":[[[lon,lat],…]]}.";
        }

        if (area.Coordinates.Length != 1)
        {
            return "area has exactly one ring (holes are not supported).";
        }

        var ring = area.Coordinates[0];
        if (ring.Length is < 4 or > MaxRingPositions)
        {
            return $"area's ring has 4 to {MaxRingPositions} positions, the last the same as the first.";
        }

        if (ring.Any(p => p.Length < 2 || !double.IsFinite(p[0]) || !double.IsFinite(p[1]) || p[0] is < -180 or > 180 || p[1] is < -90 or > 90))
        {
            return "each position is [lon, lat], lon from -180 to 180 and lat from -90 to 90.";
        }

        if (ring[0][0] != ring[^1][0] || ring[0][1] != ring[^1][1])
        {
            return "area's ring is closed: its last position is the same as its first.";
        }

        var polygon = OperationAreas.ToPolygon(ring);
        return polygon.IsValid && polygon.Area > 0 ? null : "area is not a valid polygon (its edges cross, or it encloses nothing).";
    }

    [GeneratedRegex("^[A-Za-z0-9/_-]{1,64}$", RegexOptions.CultureInvariant)]
    private static partial Regex IncidentRefPattern();
}
