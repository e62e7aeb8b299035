namespace BodyCam.Location.Map;

/// <summary>Distances on the Earth's surface (a sphere of the mean radius: within 0.5% of WGS 84).</summary>
public static class GreatCircle
{
    public const double EarthRadiusM = 6_371_008.8;

    public static double DistanceM(double lat1, double lon1, double lat2, double lon2)
    {
        var dLat = DegreesToRadians(lat2 - lat1);
        var dLon = DegreesToRadians(lon2 - lon1);
        var a = Math.Pow(Math.Sin(dLat / 2), 2)
            + (Math.Cos(DegreesToRadians(lat1)) * Math.Cos(DegreesToRadians(lat2)) * Math.Pow(Math.Sin(dLon / 2), 2));
        return 2 * EarthRadiusM * Math.Asin(Math.Min(1, Math.Sqrt(a)));
    }

    public static double DegreesToRadians(double degrees) => degrees * Math.PI / 180;
}
