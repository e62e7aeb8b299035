using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace BodyCam.Bench;

/// <summary>
/// What an attacker costs the running system (run it with the rate limits on: <c>./bodycam bench security</c>):
/// streaming's CPU while a camera keeps pushing the hostile trun fragment, how many audit entries a
/// flood of forged tokens adds, and how many ordinary requests a second the gateway still answers
/// while it refuses a flood.
/// </summary>
public static class SecurityBench
{
    public static async Task RunAsync(Report report, Gateway gateway, TimeSpan duration)
    {
        var admin = await gateway.UserTokenAsync("admin");
        var supervisor = await gateway.UserTokenAsync("supervisor1");
        var control = await gateway.UserTokenAsync("control1");
        var compliance = await gateway.UserTokenAsync("compliance1");
        await HostileCameraAsync(report, gateway, admin, supervisor, control, duration);
        await ForgedFloodAsync(report, gateway, control, compliance, duration);
    }

    /// <summary>A camera pushing the four-billion-sample trun again and again, each push refused: what it costs streaming.</summary>
    private static async Task HostileCameraAsync(Report report, Gateway gateway, string admin, string supervisor, string control, TimeSpan duration)
    {
        var (cameraId, device) = (await gateway.RecordingCamerasAsync("bench-hostile", 1, admin, supervisor, control))[0];
        var body = await HostileBodyAsync();
        var pid = int.Parse(await File.ReadAllTextAsync(Path.Combine(".bodycam", "pids", "streaming.pid")), System.Globalization.CultureInfo.InvariantCulture);

        var idleBefore = StreamingBench.CpuSeconds(pid);
        await Task.Delay(TimeSpan.FromSeconds(5));
        var idle = (StreamingBench.CpuSeconds(pid) - idleBefore) / 5;

        var refused = 0;
        var cpuBefore = StreamingBench.CpuSeconds(pid);
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < duration)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, $"api/streaming/cameras/{cameraId}/live") { Content = new ByteArrayContent(body) };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", device);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("video/mp4");
            using var response = await gateway.Http.SendAsync(request);
            refused += response.StatusCode == HttpStatusCode.BadRequest ? 1 : 0;
        }

        var busy = (StreamingBench.CpuSeconds(pid) - cpuBefore) / clock.Elapsed.TotalSeconds;
        var conditions = $"one registered camera pushing a {body.Length:N0}-byte body whose first trun claims 4,294,967,295 samples, again as soon as each push is refused " +
            $"({refused:N0} pushes refused in {clock.Elapsed.TotalSeconds:0} s, each answered 400 media-rejected); streaming's CPU from /proc; idle {idle:P1} of a core; {Report.Machine}";
        report.Add(new Figure("streaming CPU while a hostile camera pushes", busy * 100, "% of a core", conditions, "back to idle after each push (on main: a full core for ever after one push)"));
        report.Add(new Figure("hostile pushes refused", refused / clock.Elapsed.TotalSeconds, "pushes/s", conditions));
    }

    /// <summary>1,000 forged-token requests: the audit entries they add; then a flood beside ordinary callers.</summary>
    private static async Task ForgedFloodAsync(Report report, Gateway gateway, string control, string compliance, TimeSpan duration)
    {
        using var forger = RSA.Create(2048);
        var subject = $"bench-forger-{Guid.NewGuid():N}"[..24];
        var forged = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = gateway.Http.BaseAddress!.ToString(),
            Audience = "bodycam",
            Expires = DateTime.UtcNow.AddHours(1),
            Claims = new Dictionary<string, object> { ["sub"] = subject, ["role"] = "compliance" },
            SigningCredentials = new SigningCredentials(new RsaSecurityKey(forger), SecurityAlgorithms.RsaSha256),
        });

        var statuses = await Task.WhenAll(Enumerable.Range(0, 1000).Select(async _ =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "api/audit/events?limit=1");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", forged);
            using var response = await gateway.Http.SendAsync(request);
            return response.StatusCode;
        }));
        // Refusals of unverified callers are counted and recorded once a minute.
        Console.WriteLine("  waiting 65 s for the minute's counts to reach the audit record");
        await Task.Delay(TimeSpan.FromSeconds(65));
        var counted = await gateway.SendAsync(HttpMethod.Get, "api/audit/events?type=UnverifiedAccessRefused&limit=1000", compliance);
        var mine = counted.GetProperty("items").EnumerateArray()
            .Where(i => i.GetProperty("data").GetProperty("claimedSubjects").EnumerateArray().Any(c => c.GetString() == subject)).ToList();
        var conditions = $"1,000 requests with a forged compliance token (signed by a key of the attacker's own), all at once, through the gateway: " +
            $"{statuses.Count(s => s == HttpStatusCode.Unauthorized)} answered 401, {statuses.Count(s => s == HttpStatusCode.TooManyRequests)} answered 429; " +
            $"entries counted after the one-minute window; {Report.Machine}";
        report.Add(new Figure("audit entries per 1,000 forged requests", mine.Count, "entries", conditions, "a handful (on main: 1,000)"));
        report.Add(new Figure("forged requests on the record", mine.Sum(i => i.GetProperty("data").GetProperty("count").GetInt64()), "counted", conditions));

        // Ordinary callers (seven people asking for the nearest officers, so no one person's own limit of
        // 100/s is what bounds them) alone, then beside a flood of forged requests.
        string[] readers = [control, .. await Task.WhenAll(new[] { "supervisor1", "officer1", "officer2", "officer3", "officer4", "admin" }.Select(gateway.UserTokenAsync))];
        var next = 0;
        HttpRequestMessage Ordinary() =>
            new(HttpMethod.Get, "api/location/officers/nearest?lat=52.4862&lon=-1.8904&count=10")
            {
                Headers = { Authorization = new AuthenticationHeaderValue("Bearer", readers[(int)((uint)Interlocked.Increment(ref next) % readers.Length)]) },
            };
        HttpRequestMessage Flood() =>
            new(HttpMethod.Get, "api/audit/events?limit=1") { Headers = { Authorization = new AuthenticationHeaderValue("Bearer", forged) } };
        var alone = await LoadAsync(gateway.Http.BaseAddress!, Ordinary, 14, duration);
        var beside = LoadAsync(gateway.Http.BaseAddress!, Ordinary, 14, duration);
        var flood = LoadAsync(gateway.Http.BaseAddress!, Flood, 32, duration);
        var (ordinary, floodAnswers) = (await beside, await flood);
        var floodConditions = $"14 ordinary clients (nearest officers, as seven people in turn) flat out for {duration.TotalSeconds:0} s, then the same beside 32 clients sending forged tokens flat out " +
            $"({floodAnswers.Ok:N0} of the flood answered 401 and {floodAnswers.Throttled:N0} 429 in {duration.TotalSeconds:0} s); ordinary answers throttled: {alone.Throttled:N0} alone, {ordinary.Throttled:N0} beside the flood; " +
            $"the rate limits on (100/s per person, so at most 700/s for the seven); {Report.Machine}";
        report.Add(new Figure("ordinary requests answered, alone", alone.Ok / duration.TotalSeconds, "requests/s", floodConditions));
        report.Add(new Figure("ordinary requests answered, beside a forged flood", ordinary.Ok / duration.TotalSeconds, "requests/s", floodConditions));
        report.Add(new Figure("forged flood refused by the gateway", (floodAnswers.Ok + floodAnswers.Throttled) / duration.TotalSeconds, "requests/s", floodConditions));
    }

    private static async Task<(long Ok, long Throttled)> LoadAsync(Uri address, Func<HttpRequestMessage> make, int concurrency, TimeSpan duration)
    {
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = concurrency * 2 }) { BaseAddress = address };
        var until = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var counts = await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            long ok = 0, throttled = 0;
            while (Stopwatch.GetTimestamp() < until)
            {
                using var request = make();
                using var response = await http.SendAsync(request);
                if (response.StatusCode == HttpStatusCode.TooManyRequests)
                {
                    throttled++;
                }
                else
                {
                    ok++;
                }
            }

            return (ok, throttled);
        }));
        return (counts.Sum(c => c.ok), counts.Sum(c => c.throttled));
    }

    /// <summary>Two seconds of ffmpeg output with its first trun claiming 4,294,967,295 samples of no size.</summary>
    private static async Task<byte[]> HostileBodyAsync()
    {
        var file = Path.Combine(Path.GetTempPath(), $"bodycam-hostile-{Guid.NewGuid():N}.mp4");
        using (var ffmpeg = Process.Start(new ProcessStartInfo("ffmpeg", ["-v", "error", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=30", "-t", "2",
            "-c:v", "libx264", "-preset", "ultrafast", "-g", "30", "-pix_fmt", "yuv420p", "-f", "mp4", "-movflags", "frag_keyframe+empty_moov+default_base_moof", file]))!)
        {
            await ffmpeg.WaitForExitAsync();
        }

        var body = await File.ReadAllBytesAsync(file);
        File.Delete(file);
        var at = 0;
        while (System.Text.Encoding.ASCII.GetString(body, at + 4, 4) != "moof")
        {
            at += (int)System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(body.AsSpan(at));
        }

        var trun = body.AsSpan(at).IndexOf("trun"u8) + at - 4;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(body.AsSpan(trun + 8), 0x000001);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(body.AsSpan(trun + 12), uint.MaxValue);
        return body;
    }
}
