using System.Globalization;
using BodyCam.Location.Map;
using BodyCam.Location.Operations;
using BodyCam.ServiceDefaults;
using BodyCam.ServiceDefaults.Problems;
using BodyCam.ServiceDefaults.Security;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;

namespace BodyCam.Location.Officers.Listing;

/// <summary>
/// <c>GET /api/location/officers?bbox=minLon,minLat,maxLon,maxLat&amp;recording=&amp;operationId=</c>:
/// every officer with a camera on the live map, as a GeoJSON FeatureCollection of Points. Consoles
/// poll it, so it is on the record once per reader and query each quarter hour (a session of reading).
/// </summary>
public static class ListOfficers
{
    public static RouteHandlerBuilder MapListOfficers(this RouteGroupBuilder officers) =>
        officers.MapGet("/", HandleAsync)
            .RequireRoles(MapReaders.Roles)
            .WithName("ListOfficers")
            .WithSummary("Officers on the live map, filtered by box, recording state and operation.");

    private static async Task<Results<Ok<OfficerFeatureCollection>, ValidationProblem, ProblemHttpResult>> HandleAsync(
        LiveMap map, OperationAreas areas, HttpContext http, IDocumentSession session, TimeProvider time, CancellationToken cancellationToken,
        string? bbox = null, bool? recording = null, string? operationId = null, string? reason = null)
    {
        (double MinLon, double MinLat, double MaxLon, double MaxLat)? box = null;
        if (bbox is not null)
        {
            if (ParseBox(bbox) is not { } parsed)
            {
                return Problem.Invalid("bbox", "bbox is minLon,minLat,maxLon,maxLat in degrees, each min not above its max.");
            }

            box = parsed;
        }

        NetTopologySuite.Geometries.Polygon? area = null;
        if (operationId is not null)
        {
            if (areas.Find(operationId) is not { } found)
            {
                return Problem.NotFound($"No operation '{operationId}'.");
            }

            area = found.Area;
        }

        bool Include(MapEntry e) =>
            (recording is null || e.Recording == recording)
            && (area is null || OperationAreas.Contains(area, e.Lat!.Value, e.Lon!.Value));

        var entries = (box is { } b ? map.InBox(b.MinLon, b.MinLat, b.MaxLon, b.MaxLat, Include) : map.OnMap(Include)).ToList();
        await PersonalDataReads.RecordPolledAsync(session, http, "location", "live-map", operationId, entries.Count, reason, time.GetUtcNow(), cancellationToken);
        return TypedResults.Ok(new OfficerFeatureCollection([.. entries.OrderBy(e => e.OfficerId, StringComparer.Ordinal).Select(e => OfficerFeature.Of(e, areas))]));
    }

    private static (double, double, double, double)? ParseBox(string bbox)
    {
        var parts = bbox.Split(',');
        if (parts.Length != 4)
        {
            return null;
        }

        var values = new double[4];
        for (var i = 0; i < 4; i++)
        {
            if (!double.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out values[i]) || !double.IsFinite(values[i]))
            {
                return null;
            }
        }

        var (minLon, minLat, maxLon, maxLat) = (values[0], values[1], values[2], values[3]);
        var inRange = minLon >= -180 && maxLon <= 180 && minLat >= -90 && maxLat <= 90;
        return inRange && minLon <= maxLon && minLat <= maxLat ? (minLon, minLat, maxLon, maxLat) : null;
    }
}
