namespace BodyCam.Location.Map;

/// <summary>
/// A spatial index of points that move: a grid of cells 0.01° on a side (about 1.1 km by 0.7 km in
/// the UK). Moving a point is a dictionary update, a bounding box reads only the cells it covers,
/// and the nearest points are found by searching rings of cells outwards from the query until no
/// closer point can remain. Not thread-safe: the live map guards it.
/// </summary>
public sealed class OfficerGrid
{
    public const double CellDegrees = 0.01;
    private const double MetresPerDegreeLat = 110_574;
    private const double MetresPerDegreeLonAtEquator = 111_320;

    private readonly Dictionary<(int Row, int Col), Dictionary<string, (double Lat, double Lon)>> _cells = [];
    private readonly Dictionary<string, (int Row, int Col)> _cellOf = new(StringComparer.Ordinal);

    public int Count => _cellOf.Count;

    public void Upsert(string id, double lat, double lon)
    {
        var cell = CellOf(lat, lon);
        if (_cellOf.TryGetValue(id, out var old) && old != cell)
        {
            RemoveFromCell(id, old);
        }

        if (!_cells.TryGetValue(cell, out var members))
        {
            members = new Dictionary<string, (double, double)>(StringComparer.Ordinal);
            _cells[cell] = members;
        }

        members[id] = (lat, lon);
        _cellOf[id] = cell;
    }

    public void Remove(string id)
    {
        if (_cellOf.Remove(id, out var cell))
        {
            RemoveFromCell(id, cell);
        }
    }

    /// <summary>The ids whose points lie inside the box (edges included).</summary>
    public IEnumerable<string> InBox(double minLon, double minLat, double maxLon, double maxLat)
    {
        var (rowFrom, colFrom) = CellOf(minLat, minLon);
        var (rowTo, colTo) = CellOf(maxLat, maxLon);
        if ((long)(rowTo - rowFrom + 1) * (colTo - colFrom + 1) > _cells.Count)
        {
            // A box larger than the occupied cells: reading those cells is cheaper.
            foreach (var (cell, members) in _cells)
            {
                if (cell.Row >= rowFrom && cell.Row <= rowTo && cell.Col >= colFrom && cell.Col <= colTo)
                {
                    foreach (var hit in Inside(members, minLon, minLat, maxLon, maxLat))
                    {
                        yield return hit;
                    }
                }
            }

            yield break;
        }

        for (var row = rowFrom; row <= rowTo; row++)
        {
            for (var col = colFrom; col <= colTo; col++)
            {
                if (_cells.TryGetValue((row, col), out var members))
                {
                    foreach (var hit in Inside(members, minLon, minLat, maxLon, maxLat))
                    {
                        yield return hit;
                    }
                }
            }
        }
    }

    /// <summary>The <paramref name="count"/> nearest ids that pass <paramref name="include"/>, nearest first.</summary>
    public List<(string Id, double DistanceM)> Nearest(double lat, double lon, int count, Func<string, bool>? include = null)
    {
        var best = new List<(string Id, double DistanceM)>(count + 1);
        if (count <= 0 || _cells.Count == 0)
        {
            return best;
        }

        var centre = CellOf(lat, lon);
        var lastRing = RingsToCoverAll(centre);
        for (var ring = 0; ring <= lastRing; ring++)
        {
            if (best.Count == count && MinDistanceToRing(lat, ring) > best[^1].DistanceM)
            {
                break;
            }

            if (8L * ring > _cells.Count)
            {
                // The rings left hold more cells than are occupied (officers far apart, or few pass
                // the filter): read the occupied cells not yet searched instead, and finish.
                foreach (var (cell, members) in _cells)
                {
                    if (Math.Max(Math.Abs(cell.Row - centre.Row), Math.Abs(cell.Col - centre.Col)) >= ring)
                    {
                        Consider(members, lat, lon, count, include, best);
                    }
                }

                break;
            }

            foreach (var cell in Ring(centre, ring))
            {
                if (_cells.TryGetValue(cell, out var members))
                {
                    Consider(members, lat, lon, count, include, best);
                }
            }
        }

        return best;
    }

    private static void Consider(
        Dictionary<string, (double Lat, double Lon)> members, double lat, double lon, int count, Func<string, bool>? include, List<(string Id, double DistanceM)> best)
    {
        foreach (var (id, point) in members)
        {
            if (include is not null && !include(id))
            {
                continue;
            }

            var distance = GreatCircle.DistanceM(lat, lon, point.Lat, point.Lon);
            if (best.Count == count && distance >= best[^1].DistanceM)
            {
                continue;
            }

            var at = best.FindIndex(b => b.DistanceM > distance);
            best.Insert(at < 0 ? best.Count : at, (id, distance));
            if (best.Count > count)
            {
                best.RemoveAt(best.Count - 1);
            }
        }
    }

    private static IEnumerable<string> Inside(Dictionary<string, (double Lat, double Lon)> members, double minLon, double minLat, double maxLon, double maxLat)
    {
        foreach (var (id, p) in members)
        {
            if (p.Lat >= minLat && p.Lat <= maxLat && p.Lon >= minLon && p.Lon <= maxLon)
            {
                yield return id;
            }
        }
    }

    /// <summary>
    /// A lower bound on the distance from a point in the centre cell to any point in a cell of this
    /// ring: at least ring-1 whole cells lie between them, north-south or east-west.
    /// </summary>
    private static double MinDistanceToRing(double lat, int ring)
    {
        if (ring <= 1)
        {
            return 0;
        }

        var cells = (ring - 1) * CellDegrees;
        var farthestLat = Math.Min(89.9, Math.Abs(lat) + (ring * CellDegrees));
        var eastWest = cells * MetresPerDegreeLonAtEquator * Math.Cos(GreatCircle.DegreesToRadians(farthestLat));
        var northSouth = cells * MetresPerDegreeLat;
        // The sphere's distances run up to 0.5% shorter than these ellipsoid degree lengths.
        return Math.Min(eastWest, northSouth) * 0.99;
    }

    private int RingsToCoverAll((int Row, int Col) centre)
    {
        var ring = 0;
        foreach (var cell in _cells.Keys)
        {
            ring = Math.Max(ring, Math.Max(Math.Abs(cell.Row - centre.Row), Math.Abs(cell.Col - centre.Col)));
        }

        return ring;
    }

    private static IEnumerable<(int Row, int Col)> Ring((int Row, int Col) centre, int ring)
    {
        if (ring == 0)
        {
            yield return centre;
            yield break;
        }

        for (var col = centre.Col - ring; col <= centre.Col + ring; col++)
        {
            yield return (centre.Row - ring, col);
            yield return (centre.Row + ring, col);
        }

        for (var row = centre.Row - ring + 1; row <= centre.Row + ring - 1; row++)
        {
            yield return (row, centre.Col - ring);
            yield return (row, centre.Col + ring);
        }
    }

    private static (int Row, int Col) CellOf(double lat, double lon) =>
        ((int)Math.Floor(lat / CellDegrees), (int)Math.Floor(lon / CellDegrees));

    private void RemoveFromCell(string id, (int Row, int Col) cell)
    {
        if (_cells.TryGetValue(cell, out var members) && members.Remove(id) && members.Count == 0)
        {
            _cells.Remove(cell);
        }
    }
}
