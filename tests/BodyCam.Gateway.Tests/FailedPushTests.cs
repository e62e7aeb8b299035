using System.Net;
using System.Net.Sockets;
using BodyCam.Gateway.Proxy;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Xunit;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Model;

namespace BodyCam.Gateway.Tests;

/// <summary>
/// The gateway's proxy steps, in process against real sockets: a camera's push whose streaming node
/// resets it and then answers nobody is ended only once the gateway has taken that node out, so the
/// camera, pushing again at once, lands on the other node instead of going back to the dead one.
/// </summary>
public sealed class FailedPushTests
{
    [Fact]
    public async Task A_push_reset_by_a_node_that_is_gone_ends_once_the_node_is_out_and_the_next_push_lands_on_a_live_node()
    {
        var camera = Enumerable.Range(0, 100).Select(i => $"CAM-{i:D4}").First(c => CameraAffinity.Pick(c, ["n1", "n2"]) == "n1");

        // Node 1: takes the push, then resets it and answers no one (a full accept queue drops new connections' SYNs).
        using var dying = new TcpListener(IPAddress.Loopback, 0);
        dying.Start(backlog: 1);
        var dyingPort = ((IPEndPoint)dying.LocalEndpoint).Port;

        // Node 2: a live streaming node, counting the pushes it is given.
        var landed = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var live = await StartAsync(app => app.MapPost("/api/streaming/cameras/{cameraId}/live", async (string cameraId, HttpRequest request) =>
        {
            landed.TrySetResult(cameraId);
            await request.Body.CopyToAsync(Stream.Null);
            return Results.Ok();
        }));

        await using var gateway = await StartGatewayAsync(new Uri($"http://127.0.0.1:{dyingPort}/"), Address(live));
        using var http = new HttpClient { BaseAddress = Address(gateway), Timeout = Timeout.InfiniteTimeSpan };

        // The camera's first push reaches node 1.
        using var stopFirst = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var first = http.PostAsync($"api/streaming/cameras/{camera}/live", new StreamContent(new EndlessMedia()), stopFirst.Token);
        using var pushed = await dying.AcceptSocketAsync(stopFirst.Token);
        await pushed.ReceiveAsync(new byte[1024], SocketFlags.None, stopFirst.Token);

        // Node 1 goes: nothing accepts any more, and the push is reset.
        var queued = new List<Socket>();
        for (var i = 0; i < 4; i++)
        {
            var filler = new Socket(SocketType.Stream, ProtocolType.Tcp);
            using var quick = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
            try
            {
                await filler.ConnectAsync(IPAddress.Loopback, dyingPort, quick.Token);
            }
            catch (OperationCanceledException)
            {
            }

            queued.Add(filler);
        }

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            using var probe = new Socket(SocketType.Stream, ProtocolType.Tcp);
            using var quick = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
            await probe.ConnectAsync(IPAddress.Loopback, dyingPort, quick.Token);
        });
        pushed.LingerState = new LingerOption(true, 0);
        pushed.Close();

        // The camera learns its push failed, and pushes again at once, through the same gateway.
        await Assert.ThrowsAsync<HttpRequestException>(() => first);
        using var stopSecond = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var second = http.PostAsync($"api/streaming/cameras/{camera}/live", new StreamContent(new EndlessMedia()), stopSecond.Token);
        Assert.Equal(camera, await landed.Task.WaitAsync(TimeSpan.FromSeconds(10)));
        await stopSecond.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => second);
        queued.ForEach(s => s.Dispose());
    }

    [Fact]
    public void A_node_just_taken_out_gets_no_camera_while_the_cluster_is_still_listing_it()
    {
        var camera = Enumerable.Range(0, 100).Select(i => $"CAM-{i:D4}").First(c => CameraAffinity.Pick(c, ["n1", "n2"]) == "n1");
        var (n1, n2) = (new DestinationState("n1"), new DestinationState("n2"));
        var context = new DefaultHttpContext { Request = { Path = $"/live/{camera}/ws" } };
        var policy = new CameraAffinity();
        Assert.Same(n1, policy.PickDestination(context, new ClusterState("streaming"), [n1, n2]));

        n1.Health.Passive = DestinationHealth.Unhealthy;
        Assert.Same(n2, policy.PickDestination(context, new ClusterState("streaming"), [n1, n2]));

        // With every node out, the camera still goes somewhere rather than nowhere.
        n2.Health.Passive = DestinationHealth.Unhealthy;
        Assert.Same(n1, policy.PickDestination(context, new ClusterState("streaming"), [n1, n2]));
    }

    private static Uri Address(WebApplication app) => new(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/");

    private static async Task<WebApplication> StartAsync(Action<WebApplication> map, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        configure?.Invoke(builder);
        var app = builder.Build();
        map(app);
        await app.StartAsync();
        return app;
    }

    /// <summary>A gateway with the streaming cluster as the local cluster configures it: two nodes, the camera ring, the LostNode policy.</summary>
    private static Task<WebApplication> StartGatewayAsync(Uri node1, Uri node2) => StartAsync(
        app => app.MapReverseProxy(LostNodes.UseProxySteps),
        builder =>
        {
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Upstreams:ConnectTimeout"] = "00:00:01" });
            builder.Services.AddSingleton<ILoadBalancingPolicy, CameraAffinity>();
            builder.Services.AddUpstreamConnections(builder.Configuration);
            builder.Services.AddReverseProxy().LoadFromMemory(
                [new RouteConfig { RouteId = "streaming", ClusterId = "streaming", Match = new RouteMatch { Path = "/api/streaming/{**rest}" } }],
                [new ClusterConfig
                {
                    ClusterId = "streaming",
                    LoadBalancingPolicy = CameraAffinity.PolicyName,
                    HealthCheck = new HealthCheckConfig { Passive = new PassiveHealthCheckConfig { Enabled = true, Policy = LostNodePolicy.PolicyName, ReactivationPeriod = TimeSpan.FromSeconds(30) } },
                    Destinations = new Dictionary<string, DestinationConfig>
                    {
                        ["n1"] = new() { Address = node1.ToString() },
                        ["n2"] = new() { Address = node2.ToString() },
                    },
                }]);
        });

    /// <summary>A camera's push body: a little media every 50 ms until the request is cancelled.</summary>
    private sealed class EndlessMedia : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(50), cancellationToken);
            var count = Math.Min(buffer.Length, 512);
            buffer.Span[..count].Fill(0x42);
            return count;
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
