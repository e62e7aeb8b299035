namespace BodyCam.Simulator;

/// <summary>
/// One simulated officer and their camera: on foot around their post, or in a car between posts of
/// their command, switching recording on and off now and then, and now and then pressing Watch Me.
/// Movement is pure state advanced by <see cref="Step"/>, so it is testable without a clock.
/// </summary>
public sealed class Officer(int number, Place post, bool inCar, Area area, Random random)
{
    private const double MetresPerDegreeLat = 111_320;
    private double _lat = post.Lat + ((random.NextDouble() - 0.5) * 0.004);
    private double _lon = post.Lon + ((random.NextDouble() - 0.5) * 0.006);
    private (double Lat, double Lon) _target = (post.Lat, post.Lon);

    public string OfficerId { get; } = $"sim-{number:000}";

    public string CameraId { get; } = $"SIM-CAM-{number:000}";

    public string Callsign { get; } = $"{post.Command}{(inCar ? "-car-" : "-")}{100 + number}";

    public string Command => post.Command;

    public bool InCar => inCar;

    public double Lat => _lat;

    public double Lon => _lon;

    public double SpeedMps { get; private set; }

    public double HeadingDeg { get; private set; }

    public bool Recording { get; set; }

    /// <summary>When the camera next changes recording state.</summary>
    public DateTimeOffset NextSwitch { get; set; }

    /// <summary>Moves the officer on by <paramref name="seconds"/>: towards the target, choosing a new one on arrival.</summary>
    public void Step(double seconds)
    {
        var speed = inCar ? 9 + (random.NextDouble() * 6) : 1.2 + (random.NextDouble() * 0.4);
        var dy = (_target.Lat - _lat) * MetresPerDegreeLat;
        var dx = (_target.Lon - _lon) * MetresPerDegreeLat * Math.Cos(double.DegreesToRadians(_lat));
        var distance = Math.Sqrt((dx * dx) + (dy * dy));
        var travel = speed * seconds;
        if (distance <= travel)
        {
            _lat = _target.Lat;
            _lon = _target.Lon;
            _target = NextTarget();
            SpeedMps = inCar ? 0 : speed; // a car stops at its call; an officer on foot walks on
            return;
        }

        _lat += dy / distance * travel / MetresPerDegreeLat;
        _lon += dx / distance * travel / (MetresPerDegreeLat * Math.Cos(double.DegreesToRadians(_lat)));
        SpeedMps = speed;
        HeadingDeg = (double.RadiansToDegrees(Math.Atan2(dx, dy)) + 360) % 360;
    }

    /// <summary>On foot: somewhere within 600 m of the post. In a car: another post of the command, or a street near one.</summary>
    private (double Lat, double Lon) NextTarget()
    {
        if (!inCar)
        {
            return (post.Lat + ((random.NextDouble() - 0.5) * 0.011), post.Lon + ((random.NextDouble() - 0.5) * 0.017));
        }

        var posts = area.Places.Where(p => p.Command == post.Command).ToList();
        var next = posts[random.Next(posts.Count)];
        return (next.Lat + ((random.NextDouble() - 0.5) * 0.006), next.Lon + ((random.NextDouble() - 0.5) * 0.009));
    }
}
