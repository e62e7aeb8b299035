using System.Diagnostics;
using Microsoft.Playwright;

namespace BodyCam.Bench;

/// <summary>
/// Glass to glass: from the camera's capture clock to the picture the console shows in Chromium.
/// The camera is a real ffmpeg whose frames carry the wall clock as their timestamps (setpts from
/// RTCTIME, kept through encoding, so each fragment's decode time is its capture time), pushing
/// through the gateway. The console plays it as a control-room operator would (signed in, asked to
/// watch with a purpose and reason), once over the WebSocket/MSE player and once with WebSockets
/// blocked so it falls back to LL-HLS (hls.js); for every frame Chromium presents,
/// requestVideoFrameCallback gives the frame's media time and when it is shown, on the same machine
/// clock. hls.js shifts media time by the stream's first timestamp (the SourceBuffer's
/// timestampOffset), which the page reads back, so both players are measured the same way.
/// </summary>
public static class GlassBench
{
    private const string OffsetProbe = """
        (() => {
          const append = SourceBuffer.prototype.appendBuffer;
          SourceBuffer.prototype.appendBuffer = function (data) { window.__bodycamOffset = this.timestampOffset; return append.call(this, data); };
        })();
        """;

    // Push to talk, timed in the page: when each microphone frame reached the page (its last sample,
    // so its first was captured its duration earlier) and which encoded packet went out on the socket.
    private const string TalkProbe = """
        (() => {
          window.__talkFrames = []; window.__talkSent = [];
          let chunk = null;
          const Encoder = window.AudioEncoder;
          if (!Encoder) return;
          window.AudioEncoder = class extends Encoder {
            constructor(init) {
              super({ ...init, output: (c, meta) => { chunk = c.timestamp; try { init.output(c, meta); } finally { chunk = null; } } });
            }
            encode(data) {
              window.__talkFrames.push({ ts: data.timestamp, dur: data.duration, at: performance.timeOrigin + performance.now() });
              return super.encode(data);
            }
          };
          const send = WebSocket.prototype.send;
          WebSocket.prototype.send = function (data) {
            if (chunk !== null) window.__talkSent.push(chunk);
            return send.call(this, data);
          };
        })();
        """;

    // For each packet sent, when the first sample it carries was captured (ms since the epoch).
    private const string MouthTimes = """
        () => window.__talkSent.map((ts) => {
          const frame = window.__talkFrames.find((f) => f.ts <= ts && ts < f.ts + f.dur) ?? window.__talkFrames.find((f) => f.ts >= ts);
          return frame ? frame.at - (frame.ts + frame.dur - ts) / 1000 : NaN;
        })
        """;

    private const string NoWebSockets = """
        window.WebSocket = class { constructor() { setTimeout(() => this.onclose && this.onclose({ code: 1006, reason: "" }), 10); } close() {} };
        """;

    // Every frame the focused player presents for a while: when it is shown less when it was captured.
    private const string Measure = """
        (seconds) => new Promise((resolve) => {
          const video = document.getElementById("player");
          const samples = [];
          const end = performance.now() + seconds * 1000;
          const frame = (now, meta) => {
            const shown = performance.timeOrigin + meta.expectedDisplayTime;
            const captured = (meta.mediaTime - (window.__bodycamOffset || 0)) * 1000;
            samples.push(shown - captured);
            if (performance.now() < end) video.requestVideoFrameCallback(frame); else resolve(samples);
          };
          video.requestVideoFrameCallback(frame);
        })
        """;

    public static async Task RunAsync(Report report, Gateway gateway, TimeSpan length)
    {
        var admin = await gateway.UserTokenAsync("admin");
        var supervisor = await gateway.UserTokenAsync("supervisor1");
        var control = await gateway.UserTokenAsync("control1");
        var (cameraId, device) = (await gateway.RecordingCamerasAsync("bench-glass", 1, admin, supervisor, control))[0];
        using var camera = StartCamera(gateway, cameraId, device);
        try
        {
            await MeasureAsync(report, gateway, cameraId, device, length);
        }
        finally
        {
            camera.Kill();
            await camera.WaitForExitAsync();
        }
    }

    private static async Task MeasureAsync(Report report, Gateway gateway, string cameraId, string device, TimeSpan length)
    {
        await Task.Delay(TimeSpan.FromSeconds(3));

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--autoplay-policy=no-user-gesture-required",
                // A fake microphone (a beep) that needs no prompt: push to talk encodes real audio.
                "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"],
        });

        var conditions = $"one camera, ffmpeg 640x360 30 fps 800 kbit/s x264 ultrafast zerolatency, 100 ms fragments, through the gateway; the console in headless Chromium (software decoding), " +
            $"every presented frame over {length.TotalSeconds:0} s after 5 s of play; {Report.Machine}";
        foreach (var (player, script, live) in new[] { ("WebSocket/MSE", OffsetProbe + TalkProbe, "Live."), ("LL-HLS (hls.js)", OffsetProbe + NoWebSockets, "Live (HLS).") })
        {
            var samples = await WatchAsync(browser, gateway, cameraId, device, script, live, length, report);
            samples.Sort();
            Console.WriteLine($"  glass to glass, {player}: {samples.Count} frames, p50 {Report.Percentile(samples, 50):0} ms, p95 {Report.Percentile(samples, 95):0} ms");
            report.Add(new Figure($"glass to glass {player} p50", Report.Percentile(samples, 50), "ms", conditions));
            report.Add(new Figure($"glass to glass {player} p95", Report.Percentile(samples, 95), "ms", conditions, player.StartsWith("WebSocket", StringComparison.Ordinal) ? "at most 1000 ms" : "reported (LL-HLS is expected to be slower)"));
            report.Add(new Figure($"glass to glass {player} p99", Report.Percentile(samples, 99), "ms", conditions));
        }
    }

    private static async Task<List<double>> WatchAsync(IBrowser browser, Gateway gateway, string cameraId, string device, string script, string live, TimeSpan length, Report report)
    {
        await using var context = await browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 900 }, Permissions = ["microphone"] });
        context.SetDefaultTimeout(30_000);
        await context.AddInitScriptAsync(script);
        var page = await context.NewPageAsync();
        await page.GotoAsync(new Uri(gateway.Http.BaseAddress!, $"console/#watch={cameraId}").ToString());
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in with your force account" }).ClickAsync();
        await page.GetByLabel("Username").FillAsync("control1");
        await page.GetByLabel("Password").FillAsync(gateway.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in", Exact = true }).ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog);
        await dialog.GetByLabel("Purpose").SelectOptionAsync("resource-deployment");
        await dialog.GetByLabel("Reason", new() { Exact = true }).FillAsync("Benchmark: glass-to-glass latency of the live view");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Ask to watch" }).ClickAsync();
        await Assertions.Expect(page.Locator("#live-status")).ToHaveTextAsync(live);
        await Task.Delay(TimeSpan.FromSeconds(5));
        var samples = await page.EvaluateAsync<double[]>(Measure, length.TotalSeconds);
        if (script.Contains("__talkFrames", StringComparison.Ordinal))
        {
            await MouthToSocketAsync(page, gateway, cameraId, device, length, report);
        }

        await page.GetByRole(AriaRole.Button, new() { Name = "Stop watching" }).ClickAsync();
        return [.. samples];
    }

    /// <summary>
    /// Holds "Hold to talk" for a while with the camera's talk channel open: each packet's capture
    /// time (in the page) to when the camera's socket received it (here), on the machine's clock;
    /// packets are matched in order (the relay forwards them untouched and in order).
    /// </summary>
    private static async Task MouthToSocketAsync(IPage page, Gateway gateway, string cameraId, string device, TimeSpan length, Report report)
    {
        using var socket = new System.Net.WebSockets.ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", $"Bearer {device}");
        await socket.ConnectAsync(new UriBuilder(new Uri(gateway.Http.BaseAddress!, $"api/ingest/cameras/{cameraId}/talk")) { Scheme = "ws" }.Uri, CancellationToken.None);
        var received = new List<double>();
        using var listening = new CancellationTokenSource();
        var receiving = Task.Run(async () =>
        {
            var buffer = new byte[8192];
            try
            {
                while (true)
                {
                    var result = await socket.ReceiveAsync(buffer, listening.Token);
                    if (result.MessageType == System.Net.WebSockets.WebSocketMessageType.Close)
                    {
                        return;
                    }

                    if (result.MessageType == System.Net.WebSockets.WebSocketMessageType.Binary && result.EndOfMessage)
                    {
                        lock (received)
                        {
                            received.Add((DateTime.UtcNow - DateTime.UnixEpoch).TotalMilliseconds);
                        }
                    }
                }
            }
            catch (Exception e) when (e is OperationCanceledException or System.Net.WebSockets.WebSocketException)
            {
            }
        });

        await page.GetByRole(AriaRole.Button, new() { Name = "Hold to talk" }).HoverAsync();
        await page.Mouse.DownAsync();
        await Task.Delay(length);
        await page.Mouse.UpAsync();
        await Task.Delay(TimeSpan.FromSeconds(1));
        var mouths = await page.EvaluateAsync<double[]>(MouthTimes);
        await listening.CancelAsync();
        await receiving;
        List<double> latencies;
        lock (received)
        {
            latencies = [.. received.Zip(mouths, (at, mouth) => at - mouth).Where(double.IsFinite).Order()];
        }

        var conditions = $"the console's push to talk in headless Chromium (fake microphone, WebCodecs Opus, 20 ms packets at 24 kbit/s) to the camera's talk socket through the gateway, " +
            $"held {length.TotalSeconds:0} s while the camera's video plays; {mouths.Length} packets sent, {received.Count} received; capture time is when a microphone frame reached the page less its length; {Report.Machine}";
        Console.WriteLine($"  talk mouth to camera socket: {latencies.Count} packets, p50 {Report.Percentile(latencies, 50):0} ms, p95 {Report.Percentile(latencies, 95):0} ms");
        report.Add(new Figure("talk mouth to camera socket p50", Report.Percentile(latencies, 50), "ms", conditions));
        report.Add(new Figure("talk mouth to camera socket p95", Report.Percentile(latencies, 95), "ms", conditions, "under 500 ms"));
        report.Add(new Figure("talk packets sent but not received", mouths.Length - received.Count, "packets", conditions, "0"));
    }

    private static Process StartCamera(Gateway gateway, string cameraId, string device)
    {
        var info = new ProcessStartInfo("ffmpeg") { UseShellExecute = false, RedirectStandardInput = true };
        foreach (var arg in new[]
        {
            "-hide_banner", "-loglevel", "error", "-re",
            "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=30",
            // Each frame's timestamp is the wall clock when it is made (ms), kept to the output.
            "-copyts", "-vf", "settb=1/1000,setpts=floor(RTCTIME/1000)", "-fps_mode", "passthrough", "-enc_time_base", "1/1000",
            "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", "30", "-keyint_min", "30", "-sc_threshold", "0",
            "-b:v", "800k", "-maxrate", "800k", "-bufsize", "800k", "-pix_fmt", "yuv420p", "-an",
            "-avoid_negative_ts", "disabled", "-use_editlist", "0",
            "-f", "mp4", "-movflags", "frag_keyframe+empty_moov+default_base_moof+frag_discont", "-frag_duration", "100000",
            "-content_type", "video/mp4", "-headers", $"Authorization: Bearer {device}\r\n",
            "-method", "POST", new Uri(gateway.Http.BaseAddress!, $"api/streaming/cameras/{cameraId}/live").ToString(),
        })
        {
            info.ArgumentList.Add(arg);
        }

        return Process.Start(info)!;
    }
}
