using System.Net;

namespace BodyCam.Simulator;

/// <summary>
/// The body of a camera's live push: the clip's init segment, then its fragments in real time,
/// pass after pass, each with its decode times moved on, until the push is stopped.
/// </summary>
public sealed class LiveContent(LoopedClip clip, CancellationToken stop) : HttpContent
{
    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
    {
        await stream.WriteAsync(clip.Init, stop);
        await stream.FlushAsync(stop);
        var started = TimeProvider.System.GetTimestamp();
        uint sequence = 1;
        for (long pass = 0; !stop.IsCancellationRequested; pass++)
        {
            for (var i = 0; i < clip.Fragments.Length; i++, sequence++)
            {
                await stream.WriteAsync(clip.Fragment(i, pass, sequence), stop);
                await stream.FlushAsync(stop);
                // Real time: fragment n goes out n intervals after the start (no drift from sleeping).
                var due = clip.FragmentInterval * sequence;
                var wait = due - TimeProvider.System.GetElapsedTime(started);
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, stop);
                }
            }
        }
    }

    protected override bool TryComputeLength(out long length)
    {
        length = 0;
        return false;
    }
}
