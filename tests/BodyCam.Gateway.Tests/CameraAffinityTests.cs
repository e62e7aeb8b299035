using BodyCam.Gateway.Proxy;
using CsCheck;
using Microsoft.AspNetCore.Http;
using Xunit;

namespace BodyCam.Gateway.Tests;

/// <summary>
/// The streaming cluster's routing by camera: every request about a camera names it, every gateway
/// picks the same node for it, and a node lost or added moves only the cameras it held or now wins.
/// </summary>
public sealed class CameraAffinityTests
{
    private static readonly Gen<string> Camera = Gen.String[Gen.Char["ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-"], 4, 20];
    private static readonly Gen<string[]> Nodes = Gen.Int[2, 8].Select(n => Enumerable.Range(0, n).Select(i => $"node-{i}").ToArray());

    [Theory]
    [InlineData("/api/streaming/cameras/CAM-1/live", "CAM-1")]
    [InlineData("/api/streaming/cameras/CAM-1/live/backfill", "CAM-1")]
    [InlineData("/api/streaming/cameras/CAM-1/talk", "CAM-1")]
    [InlineData("/api/ingest/cameras/CAM-1/talk", "CAM-1")]
    [InlineData("/api/streaming/cameras/CAM-1/messages/abc/ack", "CAM-1")]
    [InlineData("/live/CAM-1/ws", "CAM-1")]
    [InlineData("/live/CAM-1/index.m3u8", "CAM-1")]
    [InlineData("/live/CAM-1/p12.3.m4s", "CAM-1")]
    [InlineData("/live/CAM-1/talk", "CAM-1")]
    [InlineData("/api/streaming/streams", null)]
    [InlineData("/api/streaming/talk/t-1/audio", null)]
    [InlineData("/api/streaming/bookmarks", null)]
    [InlineData("/", null)]
    public void A_request_about_a_camera_names_it(string path, string? camera) =>
        Assert.Equal(camera, CameraAffinity.CameraOf(new PathString(path)));

    [Fact]
    public void A_camera_push_and_its_viewers_go_to_the_same_node() =>
        Gen.Select(Camera, Nodes).Sample((camera, nodes) =>
        {
            var pushed = CameraAffinity.Pick(CameraAffinity.CameraOf($"/api/streaming/cameras/{camera}/live")!, nodes);
            Assert.Equal(pushed, CameraAffinity.Pick(CameraAffinity.CameraOf($"/live/{camera}/ws")!, nodes));
            Assert.Equal(pushed, CameraAffinity.Pick(CameraAffinity.CameraOf($"/live/{camera}/index.m3u8")!, nodes.Reverse()));
        });

    [Fact]
    public void Losing_a_node_moves_only_the_cameras_it_held() =>
        Gen.Select(Nodes, Gen.Int[0, 7], Camera.Array[50, 200]).Sample((nodes, lost, cameras) =>
        {
            var gone = nodes[lost % nodes.Length];
            var left = nodes.Where(n => n != gone).ToArray();
            foreach (var camera in cameras)
            {
                var before = CameraAffinity.Pick(camera, nodes);
                var after = CameraAffinity.Pick(camera, left);
                Assert.True(before == gone || before == after, $"{camera} moved from {before} to {after} though {gone} was lost");
            }
        });

    [Fact]
    public void Adding_a_node_moves_cameras_only_to_it() =>
        Gen.Select(Nodes, Camera.Array[50, 200]).Sample((nodes, cameras) =>
        {
            var grown = nodes.Append("node-new").ToArray();
            foreach (var camera in cameras)
            {
                var before = CameraAffinity.Pick(camera, nodes);
                var after = CameraAffinity.Pick(camera, grown);
                Assert.True(after == before || after == "node-new", $"{camera} moved from {before} to {after}");
            }
        });

    [Fact]
    public void Three_nodes_share_cameras_evenly()
    {
        var nodes = new[] { "node-1", "node-2", "node-3" };
        var counts = Enumerable.Range(0, 3_000).Select(i => CameraAffinity.Pick($"CAM-{i:D5}", nodes)).CountBy(n => n).ToDictionary();
        Assert.All(nodes, n => Assert.InRange(counts.GetValueOrDefault(n), 850, 1_150));
    }
}
