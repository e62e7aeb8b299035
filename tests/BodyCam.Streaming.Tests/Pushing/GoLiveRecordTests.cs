using System.IO.Pipelines;
using BodyCam.Contracts.Streaming;
using BodyCam.Streaming.Live;
using BodyCam.Streaming.Media;
using BodyCam.Streaming.Records;
using BodyCam.Streaming.Tests.Media;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace BodyCam.Streaming.Tests.Pushing;

/// <summary>
/// A stream going live is recorded once, even when the database committed a try whose answer was
/// lost (the connection cut after the commit, as in a failover): the next try finds the stream it
/// already wrote and takes it as recorded instead of failing the camera's push.
/// </summary>
public sealed class GoLiveRecordTests(StreamingHost host) : IClassFixture<StreamingHost>
{
    [Fact]
    public async Task A_try_again_after_a_commit_whose_answer_was_lost_is_taken_as_recorded_and_writes_nothing_twice()
    {
        var reader = new PushReader(PipeReader.Create(new MemoryStream(Push.Corpus("camera-av.mp4"))), 16 * 1024 * 1024);
        var init = await reader.ReadInitAsync(CancellationToken.None);
        var cameraId = $"CAM-{Guid.NewGuid():N}"[..14].ToUpperInvariant();
        var stream = new LiveStream(cameraId, $"live-{Guid.CreateVersion7():N}", init, DateTimeOffset.UtcNow, windowSegments: 2);
        var records = host.Services.GetRequiredService<LiveRecords>();

        await records.WentLiveAsync(stream, "camera-test", Guid.NewGuid(), CancellationToken.None);
        // The same stream again: what the retry does after a commit it did not hear of.
        await records.WentLiveAsync(stream, "camera-test", Guid.NewGuid(), CancellationToken.None);

        Assert.Single(await host.FactsAsync<StreamWentLive>(f => f.CameraId == cameraId));

        // Another stream under a live id already taken is still refused: only our own commit counts.
        await using (var session = host.Store.LightweightSession())
        {
            session.Delete<OpenRecord>(stream.LiveId);
            await session.SaveChangesAsync();
        }

        await Assert.ThrowsAsync<Marten.Exceptions.ExistingStreamIdCollisionException>(() =>
            records.WentLiveAsync(stream, "camera-test", Guid.NewGuid(), CancellationToken.None));
    }
}
