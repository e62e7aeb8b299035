using BodyCam.Integration.Facts;
using Xunit;

namespace BodyCam.Integration.Tests;

/// <summary>"In the area" as integration tells CAD, by the rule location's map uses: the ring covers the point, its boundary included.</summary>
public sealed class OperationAreaTests
{
    // A square from (lon 0, lat 0) to (lon 1, lat 1), and a notch cut into its right side.
    private static readonly OperationArea Notched = new("op", "Notched", "protest",
        [[0, 0], [1, 0], [1, 0.4], [0.5, 0.5], [1, 0.6], [1, 1], [0, 1], [0, 0]], null);

    [Theory]
    [InlineData(0.5, 0.25, true)]
    [InlineData(0.2, 0.9, true)]
    [InlineData(0.5, 0.9, false)] // in the notch
    [InlineData(0.0, 0.5, true)] // on the bottom edge
    [InlineData(0.5, 0.0, true)] // on the left edge
    [InlineData(1.0, 1.0, true)] // a corner
    [InlineData(0.5, 0.5, true)] // the notch's tip
    [InlineData(-0.000001, 0.5, false)]
    [InlineData(0.5, 1.000001, false)]
    public void A_position_is_in_the_area_when_the_ring_covers_it_boundary_included(double lat, double lon, bool inside) =>
        Assert.Equal(inside, Notched.Contains(lat, lon));
}
