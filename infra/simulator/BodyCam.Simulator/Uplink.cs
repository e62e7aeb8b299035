using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Threading.Channels;

namespace BodyCam.Simulator;

/// <summary>
/// A recording camera's link to streaming. The camera records the looped clip in real time whether
/// or not the link is up; while it is up each fragment goes out on the live push. Now and then the
/// link drops (as a mobile signal does) for a few seconds: the camera keeps what it records, and on
/// reconnecting pushes live again from its newest keyframe and sends what it kept as a back-fill
/// (<c>POST …/live/backfill</c>), which streaming files into the stream's rewind buffer in its place.
/// A push that fails for any other reason is handled the same way.
/// </summary>
public sealed class Uplink(LoopedClip clip, HttpClient http, string cameraId, DeviceToken device, Random random, UplinkCounts counts)
{
    /// <summary>The chance that a push is cut off by a simulated drop, after 20-90 s, for 5-15 s.</summary>
    public const double DropChance = 0.25;

    // What went out last: whether it reached streaming before a drop is unknown, so a back-fill
    // starts with it and streaming files only what it does not already have.
    private const int Resend = 6;
    private readonly Queue<byte[]> _sent = new();

    public async Task RunAsync(CancellationToken stop)
    {
        // Five minutes of fragments at most are kept while the link is down; the oldest go first.
        var recorded = Channel.CreateBounded<(byte[] Bytes, bool Keyframe)>(new BoundedChannelOptions(600) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
        var recording = RecordAsync(recorded.Writer, stop);
        try
        {
            while (!stop.IsCancellationRequested)
            {
                // Live again from the newest keyframe recorded; what came before it (and the last few
                // sent before the link went) is the back-fill.
                var waiting = new List<(byte[] Bytes, bool Keyframe)>();
                while (recorded.Reader.TryRead(out var fragment))
                {
                    waiting.Add(fragment);
                }

                var resumeAt = Math.Max(0, waiting.FindLastIndex(f => f.Keyframe));
                List<byte[]> kept;
                lock (_sent)
                {
                    kept = [.. _sent, .. waiting.Take(resumeAt).Select(f => f.Bytes)];
                    _sent.Clear();
                }

                using var link = CancellationTokenSource.CreateLinkedTokenSource(stop);
                var dropFor = TimeSpan.Zero;
                if (random.NextDouble() < DropChance)
                {
                    link.CancelAfter(TimeSpan.FromSeconds(random.Next(20, 90)));
                    dropFor = TimeSpan.FromSeconds(random.Next(5, 15));
                }

                var live = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                var pushing = PushAsync([.. waiting.Skip(resumeAt).Select(f => f.Bytes)], recorded.Reader, live, link.Token);
                if (resumeAt > 0)
                {
                    _ = BackfillAsync(kept, live.Task, stop);
                }

                await pushing;
                if (stop.IsCancellationRequested)
                {
                    return;
                }

                if (link.IsCancellationRequested)
                {
                    Interlocked.Increment(ref counts.Drops);
                }

                await Task.Delay(dropFor > TimeSpan.Zero ? dropFor : TimeSpan.FromSeconds(3), stop);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        finally
        {
            await recording.ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    /// <summary>The camera records: fragment n of the loop comes n intervals after the start, link or no link.</summary>
    private async Task RecordAsync(ChannelWriter<(byte[] Bytes, bool Keyframe)> recorded, CancellationToken stop)
    {
        var started = TimeProvider.System.GetTimestamp();
        uint sequence = 1;
        try
        {
            for (long pass = 0; !stop.IsCancellationRequested; pass++)
            {
                for (var i = 0; i < clip.Fragments.Length; i++, sequence++)
                {
                    await recorded.WriteAsync((clip.Fragment(i, pass, sequence), clip.Keyframes[i]), stop);
                    var wait = (clip.FragmentInterval * sequence) - TimeProvider.System.GetElapsedTime(started);
                    if (wait > TimeSpan.Zero)
                    {
                        await Task.Delay(wait, stop);
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task PushAsync(byte[][] first, ChannelReader<(byte[] Bytes, bool Keyframe)> recorded, TaskCompletionSource live, CancellationToken link)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, $"api/streaming/cameras/{cameraId}/live")
            {
                Content = new PushContent(clip.Init, _sent, first, recorded, live, link),
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await device.GetAsync(link));
            request.Headers.TransferEncodingChunked = true;
            using var response = await http.SendAsync(request, link);
            if (!response.IsSuccessStatusCode)
            {
                Interlocked.Increment(ref counts.Errors);
            }
        }
        catch (Exception e) when (e is HttpRequestException or IOException or OperationCanceledException)
        {
            if (!link.IsCancellationRequested)
            {
                Interlocked.Increment(ref counts.Errors);
            }
        }
        finally
        {
            live.TrySetResult();
        }
    }

    /// <summary>Once the push is live again, sends what the camera kept; streaming files it into the gap.</summary>
    private async Task BackfillAsync(List<byte[]> kept, Task live, CancellationToken stop)
    {
        try
        {
            await live;
            // The stream learns where the gap ends from the resumed push's first fragment.
            await Task.Delay(TimeSpan.FromSeconds(1), stop);
            using var request = new HttpRequestMessage(HttpMethod.Post, $"api/streaming/cameras/{cameraId}/live/backfill")
            {
                Content = new ByteArrayContent([.. clip.Init, .. kept.SelectMany(f => f)]),
            };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("video/mp4");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await device.GetAsync(stop));
            using var response = await http.SendAsync(request, stop);
            if (response.IsSuccessStatusCode)
            {
                Interlocked.Add(ref counts.Filed, (await response.Content.ReadFromJsonAsync<JsonElement>(stop)).GetProperty("filed").GetInt32());
            }
            else if (response.StatusCode != System.Net.HttpStatusCode.NotFound)
            {
                Interlocked.Increment(ref counts.Errors);
            }
        }
        catch (Exception e) when (e is HttpRequestException or IOException or OperationCanceledException or JsonException)
        {
        }
    }

    /// <summary>The live push's body: the init segment, what is waiting, then each fragment as it is recorded, until the link drops.</summary>
    private sealed class PushContent(byte[] init, Queue<byte[]> sent, byte[][] first, ChannelReader<(byte[] Bytes, bool Keyframe)> recorded, TaskCompletionSource live, CancellationToken link) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context)
        {
            await stream.WriteAsync(init, link);
            foreach (var fragment in first)
            {
                await SendAsync(stream, fragment);
            }

            await foreach (var (fragment, _) in recorded.ReadAllAsync(link))
            {
                await SendAsync(stream, fragment);
            }
        }

        private async Task SendAsync(Stream stream, byte[] fragment)
        {
            // Kept before it goes: a write the drop cuts short leaves it here for the back-fill.
            lock (sent)
            {
                sent.Enqueue(fragment);
                if (sent.Count > Resend)
                {
                    sent.Dequeue();
                }
            }

            await stream.WriteAsync(fragment, link);
            await stream.FlushAsync(link);
            live.TrySetResult();
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}

/// <summary>What the force's uplinks have done, for the simulator's report.</summary>
public sealed class UplinkCounts
{
    public long Drops;
    public long Filed;
    public long Errors;
}
