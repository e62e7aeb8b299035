using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Model;

namespace BodyCam.Gateway.Proxy;

/// <summary>
/// Routes everything about one camera to one streaming node: its push, its back-fill, its talk
/// channel and every viewer's WebSocket and LL-HLS requests, since a live stream lives in the memory
/// of the node its camera pushes to. The node is chosen by rendezvous (highest random weight)
/// hashing of the camera id over the healthy nodes, so losing a node moves only that node's cameras
/// (to the next in each camera's own order) and adding one takes only the cameras it now wins. YARP
/// has no hashing policy of its own. Requests naming no camera (the streams list, stored talk audio,
/// bookmarks by incident) go by a hash of their path.
/// </summary>
public sealed class CameraAffinity : ILoadBalancingPolicy
{
    public const string PolicyName = "CameraAffinity";

    public string Name => PolicyName;

    public DestinationState? PickDestination(HttpContext context, ClusterState cluster, IReadOnlyList<DestinationState> availableDestinations)
    {
        var key = CameraOf(context.Request.Path) ?? context.Request.Path.Value ?? "";
        // A destination just taken out by the passive policy, before YARP has recomputed the available list.
        var live = availableDestinations.Where(destination => destination.Health.Passive != DestinationHealth.Unhealthy);
        return (live.Any() ? live : availableDestinations).MaxBy(destination => Weight(key, destination.DestinationId));
    }

    /// <summary>The camera a request is about, from the paths streaming serves (and ingest's talk route the gateway sends there); null when it names none.</summary>
    public static string? CameraOf(PathString path)
    {
        var segments = (path.Value ?? "").Split('/', StringSplitOptions.RemoveEmptyEntries);
        return segments switch
        {
            ["live", var camera, ..] => camera,
            ["api", "streaming" or "ingest", "cameras", var camera, ..] => camera,
            _ => null,
        };
    }

    /// <summary>A node's weight for a key: the first 8 bytes of SHA-256(key, 0, node), the same on every gateway.</summary>
    public static ulong Weight(string key, string node)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes($"{key}\0{node}"), hash);
        return BinaryPrimitives.ReadUInt64BigEndian(hash);
    }

    /// <summary>The node <paramref name="key"/> goes to among <paramref name="nodes"/>: the one of highest weight.</summary>
    public static string Pick(string key, IEnumerable<string> nodes) => nodes.MaxBy(node => Weight(key, node))
        ?? throw new ArgumentException("No node to pick from.", nameof(nodes));
}
