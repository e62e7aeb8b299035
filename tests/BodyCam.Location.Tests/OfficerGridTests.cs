using BodyCam.Location.Map;
using CsCheck;
using Xunit;

namespace BodyCam.Location.Tests;

public sealed class OfficerGridTests
{
    // Officers scattered over an area the size of a county, some in clusters, some far out.
    private static readonly Gen<(double Lat, double Lon)> Point =
        Gen.Frequency(
            (4, Gen.Select(Gen.Double[52.2, 52.8], Gen.Double[-2.4, -1.3])),
            (1, Gen.Select(Gen.Double[50.0, 55.0], Gen.Double[-5.0, 1.0])));

    private static readonly Gen<(double Lat, double Lon)[]> Points = Point.Array[0, 300];

    [Fact]
    public void Nearest_agrees_with_measuring_every_officer()
    {
        Gen.Select(Points, Point, Gen.Int[1, 20]).Sample((points, query, count) =>
        {
            var grid = new OfficerGrid();
            for (var i = 0; i < points.Length; i++)
            {
                grid.Upsert($"o{i}", points[i].Lat, points[i].Lon);
            }

            var expected = points
                .Select((p, i) => GreatCircle.DistanceM(query.Lat, query.Lon, p.Lat, p.Lon))
                .OrderBy(d => d)
                .Take(count)
                .ToList();
            var actual = grid.Nearest(query.Lat, query.Lon, count).Select(n => n.DistanceM).ToList();

            Assert.Equal(expected.Count, actual.Count);
            for (var i = 0; i < expected.Count; i++)
            {
                Assert.Equal(expected[i], actual[i], 6);
            }
        }, iter: 300);
    }

    [Fact]
    public void A_box_holds_exactly_the_officers_inside_it()
    {
        Gen.Select(Points, Point, Gen.Double[0.001, 2]).Sample((points, corner, size) =>
        {
            var grid = new OfficerGrid();
            for (var i = 0; i < points.Length; i++)
            {
                grid.Upsert($"o{i}", points[i].Lat, points[i].Lon);
            }

            var (minLat, minLon, maxLat, maxLon) = (corner.Lat, corner.Lon, corner.Lat + size, corner.Lon + size);
            var expected = points
                .Select((p, i) => (p, id: $"o{i}"))
                .Where(x => x.p.Lat >= minLat && x.p.Lat <= maxLat && x.p.Lon >= minLon && x.p.Lon <= maxLon)
                .Select(x => x.id)
                .Order(StringComparer.Ordinal);

            Assert.Equal(expected, grid.InBox(minLon, minLat, maxLon, maxLat).Order(StringComparer.Ordinal));
        }, iter: 300);
    }

    [Fact]
    public void An_officer_who_moves_is_found_where_they_are_now_and_not_where_they_were()
    {
        var grid = new OfficerGrid();
        grid.Upsert("a", 52.48, -1.90);
        grid.Upsert("b", 52.49, -1.90);

        grid.Upsert("a", 52.60, -2.10);

        Assert.Equal("b", grid.Nearest(52.48, -1.90, 1)[0].Id);
        Assert.Equal(["a"], grid.InBox(-2.2, 52.55, -2.0, 52.65));
        Assert.Empty(grid.InBox(-1.91, 52.475, -1.89, 52.485));
        Assert.Equal(2, grid.Count);
    }

    [Fact]
    public void A_removed_officer_is_gone()
    {
        var grid = new OfficerGrid();
        grid.Upsert("a", 52.48, -1.90);

        grid.Remove("a");

        Assert.Empty(grid.Nearest(52.48, -1.90, 5));
        Assert.Equal(0, grid.Count);
    }

    [Fact]
    public void Nearest_skips_officers_the_filter_excludes()
    {
        var grid = new OfficerGrid();
        grid.Upsert("near-idle", 52.480, -1.900);
        grid.Upsert("far-recording", 52.500, -1.900);

        var found = grid.Nearest(52.480, -1.900, 1, id => id.EndsWith("recording", StringComparison.Ordinal));

        Assert.Equal("far-recording", Assert.Single(found).Id);
    }

    [Fact]
    public void Great_circle_distance_along_a_meridian_is_the_arc_length()
    {
        // 0.01 degrees of latitude on a sphere of the mean Earth radius.
        var expected = 0.01 * Math.PI / 180 * GreatCircle.EarthRadiusM;

        Assert.Equal(expected, GreatCircle.DistanceM(52.0, -1.9, 52.01, -1.9), 6);
    }
}
