using BodyCam.Contracts.Operations;
using BodyCam.Contracts.Streaming;
using BodyCam.Contracts.Telemetry;
using BodyCam.Integration.Feed;
using BodyCam.ServiceDefaults.Messaging;
using Marten;
using MassTransit;

namespace BodyCam.Integration.Facts;

/// <summary>When each camera's positions were last looked at (in memory: after a restart, the next batch is).</summary>
public sealed class PositionSampling(IConfiguration configuration)
{
    private readonly TimeSpan _every = configuration.GetValue("Integration:PositionSampling", TimeSpan.FromSeconds(5));
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, DateTimeOffset> _last = new();

    public bool Due(string cameraId, DateTimeOffset latest)
    {
        if (_last.TryGetValue(cameraId, out var last) && latest - last < _every && latest >= last)
        {
            return false;
        }

        _last[cameraId] = latest;
        return true;
    }
}
