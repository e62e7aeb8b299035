using BodyCam.Authorisation.Cameras;
using BodyCam.Contracts.Access;
using BodyCam.Testing;
using Marten;
using Microsoft.AspNetCore.Hosting;

namespace BodyCam.Authorisation.Tests;

/// <summary>The authorisation service in this process (<see cref="InProcessService{TProgram}"/>), with the shipped policy; cameras are stored as if ingest's facts had arrived.</summary>
public sealed class AuthorisationHost() : InProcessService<Program>("authorisation")
{
    protected override void Configure(IWebHostBuilder builder)
    {
        builder.UseSetting("Authorisation:PolicyFile",
            Path.Combine(ServiceProcess.RepositoryRoot(), "services", "Authorisation", "BodyCam.Authorisation", "Policy", "view-policy.json"));
        builder.UseSetting("Authorisation:SigningKeyFile", Path.Combine(Directory, "stream-token-signing.pem"));
    }

    /// <summary>A camera as authorisation keeps it once ingest's facts arrived: worn by <paramref name="wearer"/> in command B.</summary>
    public async Task<string> CameraAsync(string wearer = "officer2", bool recording = true)
    {
        var cameraId = $"CAM-{Guid.NewGuid():N}"[..14].ToUpperInvariant();
        await using var session = Store.LightweightSession();
        session.Store(new WatchableCamera(cameraId, wearer, "B", recording, recording ? DateTimeOffset.UtcNow : null));
        await session.SaveChangesAsync();
        return cameraId;
    }

    /// <summary>The decided requests on record for a camera.</summary>
    public async Task<IReadOnlyList<ViewRequestDecided>> DecisionsAsync(string cameraId)
    {
        await using var session = Store.QuerySession();
        return await session.Events.QueryRawEventDataOnly<ViewRequestDecided>().Where(d => d.CameraId == cameraId).ToListAsync();
    }
}
