using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Model;

namespace BodyCam.Gateway.Proxy;

/// <summary>
/// A node can be lost without a word: a machine that loses power or its network sends no reset, and
/// a connection to it simply stops. Left alone, the gateway would go on writing a camera's push into
/// a connection nobody acknowledges until the kernel gives up (about 15 minutes), and the camera,
/// still uploading to the gateway, would never learn its stream had gone. So:
/// <list type="number">
/// <item>the gateway's connections to services give up on a peer that stops acknowledging or stops
/// answering keep-alive probes within <see cref="UpstreamOptions.LostAfter"/>, and a connection
/// attempt within <see cref="UpstreamOptions.ConnectTimeout"/>;</item>
/// <item>a request failing that way takes the node out of its cluster at once (the passive health
/// policy <see cref="LostNodePolicy"/>), so the next camera or viewer lands on a live node without
/// waiting for the active probes to fail three times; a reset makes the gateway check whether
/// anyone is there;</item>
/// <item>a camera's push whose node failed is ended at once (its connection reset), so the camera
/// connects again and lands on a live node (<see cref="EndFailedPushes"/>).</item>
/// </list>
/// </summary>
public static class LostNodes
{
    private const int TcpUserTimeout = 18; // TCP_USER_TIMEOUT, linux/tcp.h

    /// <summary>How the gateway connects to services, and the passive health policy that takes a lost node out.</summary>
    public static IServiceCollection AddUpstreamConnections(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<UpstreamOptions>().Bind(configuration.GetSection("Upstreams")).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IForwarderHttpClientFactory, UpstreamClientFactory>();
        services.AddSingleton<IPassiveHealthCheckPolicy, LostNodePolicy>();
        return services;
    }

    /// <summary>A TCP connection to a service that the kernel ends when the peer goes silent for <paramref name="lostAfter"/>.</summary>
    public static async ValueTask<Stream> ConnectAsync(DnsEndPoint endPoint, TimeSpan lostAfter, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            // Probes on an idle connection (a viewer's WebSocket sends nothing upstream).
            var seconds = Math.Max(2, (int)lostAfter.TotalSeconds);
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime, seconds / 2);
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval, 1);
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount, seconds - (seconds / 2));
            if (OperatingSystem.IsLinux())
            {
                // Data written and never acknowledged (a camera's push into a lost node).
                socket.SetRawSocketOption((int)ProtocolType.Tcp, TcpUserTimeout, BitConverter.GetBytes((int)lostAfter.TotalMilliseconds));
            }

            await socket.ConnectAsync(endPoint, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Whether a forwarding error says the destination's node is lost or unreachable: no connection, a
    /// connection the kernel gave up on, or no answer in time. A node that answers, even with a reset
    /// or an error, is not lost; a caller's bad bytes must not take a node out of the ring.
    /// </summary>
    public static bool IsLost(ForwarderError error, Exception? exception) => error switch
    {
        ForwarderError.RequestTimedOut => true,
        ForwarderError.Request
            or ForwarderError.RequestBodyDestination
            or ForwarderError.ResponseBodyDestination
            or ForwarderError.UpgradeRequestDestination
            or ForwarderError.UpgradeResponseDestination => SocketErrors(exception).Any(e => e
                is SocketError.TimedOut
                or SocketError.HostUnreachable
                or SocketError.HostDown
                or SocketError.NetworkUnreachable
                or SocketError.NetworkDown
                or SocketError.ConnectionRefused),
        _ => false,
    };

    /// <summary>Whether the destination reset a connection mid-request: its process gone, or the node ending a caller's request.</summary>
    public static bool WasReset(ForwarderError error, Exception? exception) => error switch
    {
        ForwarderError.Request
            or ForwarderError.RequestBodyDestination
            or ForwarderError.ResponseBodyDestination
            or ForwarderError.UpgradeRequestDestination
            or ForwarderError.UpgradeResponseDestination => SocketErrors(exception).Any(e => e
                is SocketError.ConnectionReset
                or SocketError.ConnectionAborted
                or SocketError.Shutdown),
        _ => false,
    };

    private static IEnumerable<SocketError> SocketErrors(Exception? exception)
    {
        var pending = new Stack<Exception>();
        if (exception is not null)
        {
            pending.Push(exception);
        }

        while (pending.TryPop(out var next))
        {
            if (next is SocketException socket)
            {
                yield return socket.SocketErrorCode;
            }

            if (next is AggregateException aggregate)
            {
                foreach (var inner in aggregate.InnerExceptions)
                {
                    pending.Push(inner);
                }
            }
            else if (next.InnerException is { } inner)
            {
                pending.Push(inner);
            }
        }
    }

    /// <summary>The proxy's pipeline: YARP's steps, with <see cref="EndFailedPushes"/> outside the passive health checks.</summary>
    public static void UseProxySteps(IReverseProxyApplicationBuilder proxy)
    {
        proxy.UseSessionAffinity();
        proxy.UseLoadBalancing();
        proxy.Use(EndFailedPushes);
        proxy.UsePassiveHealthChecks();
    }

    /// <summary>
    /// The proxy's pipeline step that ends a camera's push when forwarding it failed. YARP answers 502,
    /// but the camera is still uploading and reads no answer until it has sent everything, which for a
    /// live push is never; the reset tells it now. It goes before the passive health checks, so it runs
    /// after the policy has judged the node: when the node reset the push, the gateway's check on it
    /// (at most <see cref="UpstreamOptions.ConnectTimeout"/>) ends first, and the camera, connecting
    /// again at once, is not sent back to a node that is gone.
    /// </summary>
    public static async Task EndFailedPushes(HttpContext context, Func<Task> next)
    {
        await next();
        if (LivePushLimits.IsLivePush(context.Request) && context.Features.Get<IForwarderErrorFeature>() is { Error: not ForwarderError.None })
        {
            if (LostNodePolicy.VerdictOf(context) is { } verdict)
            {
                await verdict;
            }

            context.Abort();
        }
    }

    private sealed class UpstreamClientFactory(ILogger<ForwarderHttpClientFactory> log, IOptions<UpstreamOptions> options) : ForwarderHttpClientFactory(log)
    {
        protected override void ConfigureHandler(ForwarderHttpClientContext context, SocketsHttpHandler handler)
        {
            base.ConfigureHandler(context, handler);
            var (connectTimeout, lostAfter) = (options.Value.ConnectTimeout, options.Value.LostAfter);
            handler.ConnectTimeout = connectTimeout;
            handler.ConnectCallback = (connection, cancellationToken) => ConnectAsync(connection.DnsEndPoint, lostAfter, cancellationToken);
        }

        // A camera's push is flushed as it arrives (LivePushFlushing).
        protected override HttpMessageHandler WrapHandler(ForwarderHttpClientContext context, HttpMessageHandler handler) =>
            context.ClusterId == "streaming" ? LivePushFlushing.Wrap(base.WrapHandler(context, handler)) : base.WrapHandler(context, handler);
    }
}

/// <summary>
/// The passive health policy <c>LostNode</c>: a destination whose request failed because its node is
/// lost (<see cref="LostNodes.IsLost"/>) is out of its cluster for the cluster's reactivation period,
/// after which the active probes decide. A connection the destination reset (its process killed, or
/// the node refusing a caller) is not enough by itself, since a caller's bad bytes can cause one: the
/// gateway then tries to connect to the destination once, and takes it out only if nobody answers.
/// </summary>
public sealed class LostNodePolicy(IDestinationHealthUpdater health, IOptions<UpstreamOptions> options, ILogger<LostNodePolicy> log) : IPassiveHealthCheckPolicy
{
    public const string PolicyName = "LostNode";

    private static readonly TimeSpan DefaultReactivation = TimeSpan.FromSeconds(10);
    private static readonly object VerdictKey = new();

    // One check at a time per destination, however many of its connections were reset at once.
    private readonly Dictionary<DestinationState, Task> _checking = [];
    private readonly Lock _gate = new();

    public string Name => PolicyName;

    /// <summary>The check a reset started on the request's destination, done once the node is judged (it never fails); null when there is none.</summary>
    public static Task? VerdictOf(HttpContext context) => context.Items.TryGetValue(VerdictKey, out var verdict) ? verdict as Task : null;

    public void RequestProxied(HttpContext context, ClusterState cluster, DestinationState destination)
    {
        if (context.Features.Get<IForwarderErrorFeature>() is not { } failure)
        {
            return;
        }

        if (LostNodes.IsLost(failure.Error, failure.Exception))
        {
            TakeOut(cluster, destination, $"{failure.Error} ({failure.Exception?.GetBaseException().Message})");
        }
        else if (LostNodes.WasReset(failure.Error, failure.Exception))
        {
            context.Items[VerdictKey] = CheckOnce(cluster, destination);
        }
    }

    private Task CheckOnce(ClusterState cluster, DestinationState destination)
    {
        lock (_gate)
        {
            if (!_checking.TryGetValue(destination, out var check))
            {
                // On the thread pool: its end takes the gate, which this thread holds until the check is listed.
                check = Task.Run(() => CheckAsync(cluster, destination));
                _checking[destination] = check;
            }

            return check;
        }
    }

    private async Task CheckAsync(ClusterState cluster, DestinationState destination)
    {
        try
        {
            var address = new Uri(destination.Model.Config.Address);
            using var timeout = new CancellationTokenSource(options.Value.ConnectTimeout);
            await using var connection = await LostNodes.ConnectAsync(new DnsEndPoint(address.Host, address.Port), options.Value.LostAfter, timeout.Token);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            TakeOut(cluster, destination, $"a reset, and then {(e is SocketException s ? s.SocketErrorCode.ToString() : "no answer")} when the gateway tried to connect");
        }
        catch (Exception e)
        {
            log.LogError(e, "{Cluster}'s destination {Destination} reset a connection and could not be checked", cluster.ClusterId, destination.DestinationId);
        }
        finally
        {
            lock (_gate)
            {
                _checking.Remove(destination);
            }
        }
    }

    private void TakeOut(ClusterState cluster, DestinationState destination, string why)
    {
        var period = cluster.Model.Config.HealthCheck?.Passive?.ReactivationPeriod ?? DefaultReactivation;
        log.LogWarning("{Cluster}'s destination {Destination} is out for {Period}: {Why}", cluster.ClusterId, destination.DestinationId, period, why);
        health.SetPassive(cluster, destination, DestinationHealth.Unhealthy, period);
    }
}

/// <summary>How the gateway connects to the services behind it (configuration section <c>Upstreams</c>).</summary>
public sealed class UpstreamOptions
{
    /// <summary>How long a connection attempt may take before the node counts as unreachable.</summary>
    [System.ComponentModel.DataAnnotations.Range(typeof(TimeSpan), "00:00:01", "00:01:00")]
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long a peer may leave data unacknowledged, or keep-alive probes unanswered, before its connection is given up.</summary>
    [System.ComponentModel.DataAnnotations.Range(typeof(TimeSpan), "00:00:02", "00:05:00")]
    public TimeSpan LostAfter { get; set; } = TimeSpan.FromSeconds(5);
}
