using BodyCam.Simulator;
using Xunit;

namespace BodyCam.Simulator.Tests;

public sealed class OfficerTests
{
    private static readonly Place Post = Area.WestMidlands.Places[0];

    [Fact]
    public void An_officer_on_foot_walks_at_walking_pace_and_stays_near_their_post_all_shift()
    {
        var officer = new Officer(1, Post, inCar: false, Area.WestMidlands, new Random(1));
        for (var second = 0; second < 8 * 3600; second++)
        {
            officer.Step(1);
            Assert.InRange(officer.SpeedMps, 0, 1.7);
            Assert.True(Metres(officer.Lat, officer.Lon, Post.Lat, Post.Lon) < 1200, $"{officer.Lat},{officer.Lon} is far from {Post.Name}");
        }
    }

    [Fact]
    public void An_officer_in_a_car_drives_at_town_speeds_between_posts_of_their_command()
    {
        var officer = new Officer(2, Post, inCar: true, Area.WestMidlands, new Random(2));
        var visited = new HashSet<string>();
        var birmingham = Area.WestMidlands.Places.Where(p => p.Command == "B").ToList();
        for (var second = 0; second < 4 * 3600; second++)
        {
            officer.Step(1);
            Assert.InRange(officer.SpeedMps, 0, 15);
            var nearest = birmingham.MinBy(p => Metres(officer.Lat, officer.Lon, p.Lat, p.Lon))!;
            Assert.True(Metres(officer.Lat, officer.Lon, nearest.Lat, nearest.Lon) < 15_000);
            if (Metres(officer.Lat, officer.Lon, nearest.Lat, nearest.Lon) < 500)
            {
                visited.Add(nearest.Name);
            }
        }

        Assert.True(visited.Count >= 3, $"visited only {string.Join(", ", visited)}");
        Assert.StartsWith("B-car-", officer.Callsign);
    }

    public static TheoryData<string> Areas => [.. Area.All.Select(a => a.Name)];

    [Theory]
    [MemberData(nameof(Areas))]
    public void In_every_area_a_car_stays_among_the_posts_of_its_own_command(string name)
    {
        var area = Area.Named(name);
        foreach (var post in area.Places.DistinctBy(p => p.Command))
        {
            var officer = new Officer(3, post, inCar: true, area, new Random(3));
            var ours = area.Places.Where(p => p.Command == post.Command).ToList();
            for (var second = 0; second < 3600; second++)
            {
                officer.Step(1);
                var nearest = ours.Min(p => Metres(officer.Lat, officer.Lon, p.Lat, p.Lon));
                Assert.True(nearest < 20_000, $"{name}: a {post.Command} car is {nearest:0} m from every post of its command");
            }
        }
    }

    [Fact]
    public void An_unknown_area_is_refused_naming_the_known_ones()
    {
        var refused = Assert.Throws<ArgumentException>(() => Area.Named("atlantis"));
        Assert.Contains("west-midlands", refused.Message);
        Assert.Contains("greater-manchester", refused.Message);
    }

    private static double Metres(double lat1, double lon1, double lat2, double lon2)
    {
        var dy = (lat2 - lat1) * 111_320;
        var dx = (lon2 - lon1) * 111_320 * Math.Cos(double.DegreesToRadians(lat1));
        return Math.Sqrt((dx * dx) + (dy * dy));
    }
}
