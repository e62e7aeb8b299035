using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace BodyCam.Simulator;

public sealed record SimulatorOptions(Uri Gateway, string Password, int Officers, Area Area, int Seed, string ClipDirectory, bool Video, TimeSpan Batch);

/// <summary>
/// A simulated force on a running BodyCam: each officer's camera is registered and issued as a real
/// camera would be, then reports positions in batches, records now and then (pushing live video
/// from the looped clip while it does, through a link that now and then drops and back-fills), and
/// now and then asks to be watched; its wearer acknowledges
/// instructions and answers talk (<see cref="Wearer"/>).
/// </summary>
public sealed class Force(SimulatorOptions options)
{
    private readonly HttpClient _http = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5), MaxConnectionsPerServer = 1024 })
    {
        BaseAddress = options.Gateway,
        Timeout = Timeout.InfiniteTimeSpan,
    };

    private readonly Random _random = new(options.Seed);
    private long _batches, _switches, _watchMes, _errors, _pushing;
    private readonly UplinkCounts _links = new();
    private LoopedClip? _clip;
    private IReadOnlyList<Wearer> _wearers = [];

    public async Task RunAsync(CancellationToken stop)
    {
        if (options.Video)
        {
            _clip = await LoopedClip.EncodeAsync(options.ClipDirectory, cancellationToken: stop);
            Console.WriteLine($"Clip: {_clip.Fragments.Length} fragments, {_clip.Length.TotalSeconds:0.#} s a pass, looped");
        }

        var people = new Tokens(_http, options.Password);
        var officers = Enumerable.Range(1, options.Officers).Select(i =>
        {
            var post = options.Area.Places[_random.Next(options.Area.Places.Count)];
            return new Officer(i, post, inCar: _random.NextDouble() < 0.4, options.Area, new Random(options.Seed + i));
        }).ToList();

        // A few at a time: thousands of officers are enlisted in minutes without flooding the gateway.
        using var enlisting = new SemaphoreSlim(8);
        var cameras = await Task.WhenAll(officers.Select(async officer =>
        {
            await enlisting.WaitAsync(stop);
            try
            {
                return (Officer: officer, Device: await EnlistAsync(officer, people, stop));
            }
            finally
            {
                enlisting.Release();
            }
        }));

        Console.WriteLine($"{officers.Count} officers on duty in {options.Area.Name} ({officers.Count(o => o.InCar)} in cars)");
        var now = DateTimeOffset.UtcNow;
        foreach (var officer in officers)
        {
            // About a third start recording at once, so there is something to see straight away.
            officer.NextSwitch = now + TimeSpan.FromSeconds(_random.NextDouble() < 0.35 ? _random.Next(1, 10) : _random.Next(30, 360));
        }

        using var report = new PeriodicTimer(TimeSpan.FromMinutes(1));
        var reporting = Task.Run(async () =>
        {
            while (await report.WaitForNextTickAsync(stop).ConfigureAwait(false))
            {
                Console.WriteLine($"{DateTimeOffset.UtcNow:HH:mm:ss} recording {officers.Count(o => o.Recording)}/{officers.Count}, pushing {Interlocked.Read(ref _pushing)}, " +
                    $"batches {Interlocked.Read(ref _batches)}, switches {Interlocked.Read(ref _switches)}, Watch Me {Interlocked.Read(ref _watchMes)}, " +
                    $"instructions acknowledged {_wearers.Sum(w => w.Instructions)}, talk answers {_wearers.Sum(w => w.Answers)}, " +
                    $"link drops {Interlocked.Read(ref _links.Drops)} (fragments back-filled {Interlocked.Read(ref _links.Filed)}), errors {Interlocked.Read(ref _errors) + Interlocked.Read(ref _links.Errors)}");
            }
        }, stop);

        var wearers = cameras.Select(c => new Wearer(_http, c.Officer, c.Device, e =>
        {
            Interlocked.Increment(ref _errors);
            Console.WriteLine(e);
        })).ToList();
        _wearers = wearers;
        await Task.WhenAll([.. cameras.Select(c => PatrolAsync(c.Officer, c.Device, stop)), .. wearers.Select(w => w.RunAsync(stop))]);
        await reporting.ContinueWith(_ => { }, TaskScheduler.Default);
    }

    private async Task<DeviceToken> EnlistAsync(Officer officer, Tokens people, CancellationToken stop)
    {
        var admin = await people.ForAsync("admin", stop);
        using var registered = await SendAsync(HttpMethod.Post, "api/ingest/cameras", admin,
            new { cameraId = officer.CameraId, serial = $"SIM-{officer.CameraId}", model = "BodyCam simulator" }, stop);
        using var credentials = registered.StatusCode == HttpStatusCode.Conflict
            ? await SendAsync(HttpMethod.Post, $"api/ingest/cameras/{officer.CameraId}/credentials", admin, null, stop)
            : registered;
        var issued = await Success(credentials).Content.ReadFromJsonAsync<JsonElement>(stop);

        var supervisor = await people.ForAsync("supervisor1", stop);
        using var assigned = await SendAsync(HttpMethod.Put, $"api/ingest/cameras/{officer.CameraId}/assignment", supervisor,
            new { officerId = officer.OfficerId, callsign = officer.Callsign, command = officer.Command }, stop);
        Success(assigned);
        return new DeviceToken(_http, issued.GetProperty("clientId").GetString()!, issued.GetProperty("clientSecret").GetString()!);
    }

    private async Task PatrolAsync(Officer officer, DeviceToken device, CancellationToken stop)
    {
        var samples = new List<object>();
        CancellationTokenSource? push = null;
        using var tick = new PeriodicTimer(TimeSpan.FromSeconds(1));
        // Officers do not all report in the same second.
        await Task.Delay(TimeSpan.FromMilliseconds(_random.Next(0, (int)options.Batch.TotalMilliseconds)), stop).ConfigureAwait(false);
        try
        {
            while (await tick.WaitForNextTickAsync(stop))
            {
                var now = DateTimeOffset.UtcNow;
                officer.Step(1);
                samples.Add(new { at = now, lat = officer.Lat, lon = officer.Lon, accuracyM = officer.InCar ? 8.0 : 5.0, headingDeg = officer.HeadingDeg, speedMps = officer.SpeedMps, batteryPct = 100 - ((now.Minute + officer.OfficerId.Length) % 60) });
                if (samples.Count * TimeSpan.FromSeconds(1) >= options.Batch)
                {
                    await DeviceAsync(HttpMethod.Post, $"api/ingest/cameras/{officer.CameraId}/telemetry", device, new { samples }, stop, () => Interlocked.Increment(ref _batches));
                    samples = [];
                }

                if (now >= officer.NextSwitch)
                {
                    officer.Recording = !officer.Recording;
                    officer.NextSwitch = now + TimeSpan.FromSeconds(officer.Recording ? _random.Next(90, 300) : _random.Next(120, 600));
                    await DeviceAsync(HttpMethod.Post, $"api/ingest/cameras/{officer.CameraId}/recording", device,
                        new { state = officer.Recording ? "recording" : "stopped", at = now }, stop, () => Interlocked.Increment(ref _switches));
                    if (officer.Recording && _clip is not null)
                    {
                        push = CancellationTokenSource.CreateLinkedTokenSource(stop);
                        _ = PushAsync(officer, device, push.Token);
                    }
                    else if (!officer.Recording && push is not null)
                    {
                        await push.CancelAsync();
                        push.Dispose();
                        push = null;
                    }
                }

                // Now and then, somewhere in the force, an officer asks to be watched (about one every ten minutes).
                if (officer.Recording && _random.NextDouble() < 1.0 / (options.Officers * 600.0))
                {
                    await DeviceAsync(HttpMethod.Post, $"api/ingest/cameras/{officer.CameraId}/watch-me", device,
                        new { at = now, note = "Simulated: officer asks for support" }, stop, () => Interlocked.Increment(ref _watchMes));
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    /// <summary>Pushes the looped clip as this camera's live video until recording stops, through a link that now and then drops (<see cref="Uplink"/>).</summary>
    private async Task PushAsync(Officer officer, DeviceToken device, CancellationToken stop)
    {
        Interlocked.Increment(ref _pushing);
        var uplink = new Uplink(_clip!, _http, officer.CameraId, device, new Random(officer.CameraId.Aggregate(options.Seed, (hash, c) => unchecked((hash * 31) + c))), _links);
        try
        {
            await uplink.RunAsync(stop);
        }
        finally
        {
            Interlocked.Decrement(ref _pushing);
        }
    }

    private async Task DeviceAsync(HttpMethod method, string path, DeviceToken device, object body, CancellationToken stop, Action count)
    {
        count();
        try
        {
            using var response = await SendAsync(method, path, await device.GetAsync(stop), body, stop);
            if (!response.IsSuccessStatusCode)
            {
                Interlocked.Increment(ref _errors);
                Console.WriteLine($"{method} {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(stop)}");
            }
        }
        catch (HttpRequestException e)
        {
            Interlocked.Increment(ref _errors);
            Console.WriteLine($"{method} {path}: {e.Message}");
        }
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string token, object? body, CancellationToken stop)
    {
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stop);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        return await _http.SendAsync(request, timeout.Token);
    }

    private static HttpResponseMessage Success(HttpResponseMessage response) =>
        response.IsSuccessStatusCode ? response : throw new InvalidOperationException($"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri}: {(int)response.StatusCode}");
}
