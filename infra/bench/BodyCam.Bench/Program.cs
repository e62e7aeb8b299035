using BodyCam.Bench;

// ./bodycam bench [all|location|nearest|authorisation|pipeline|streaming|talk|glass|rewind|audit|gateway|security] [--entries N] [--verify-from SEQ] [--live-cameras 10,50] [--viewers N] [--kbps N] [--gateway URL] [--cameras N] [--batch N] [--rate N] [--seconds N] [--officers N]
if (args is ["plain-copy-server", var port])
{
    await PlainCopyFloor.ServeAsync(int.Parse(port, System.Globalization.CultureInfo.InvariantCulture));
    return 0;
}

if (args is ["chaos", ..])
{
    string ChaosOption(string name, string fallback)
    {
        var at = Array.IndexOf(args, $"--{name}");
        return at >= 0 && at + 1 < args.Length ? args[at + 1] : fallback;
    }

    var chaosReport = new Report();
    Console.WriteLine($"BodyCam chaos run on {Report.Machine}");
    var chaosGateway = new Gateway(new Uri(ChaosOption("gateway", "http://127.0.0.1:8080/")), ChaosOption("password", Environment.GetEnvironmentVariable("BODYCAM_DEMO_PASSWORD") ?? "demo"));
    var code = await ChaosBench.RunAsync(chaosReport, chaosGateway, ChaosOption("bodycam", "./bodycam"), int.Parse(ChaosOption("cameras", "12")),
        TimeSpan.FromSeconds(int.Parse(ChaosOption("outage", ChaosOption("seconds", "90")))), TimeSpan.FromMinutes(int.Parse(ChaosOption("settle-minutes", "10"))), args.Contains("--quick"), args.Contains("--outages-only"));
    chaosReport.Write(ChaosOption("out", Path.Combine(Directory.GetCurrentDirectory(), ".bodycam", "chaos")));
    return code;
}

var what = args.Length > 0 && !args[0].StartsWith("--", StringComparison.Ordinal) ? args[0] : "all";
string Option(string name, string fallback)
{
    var at = Array.IndexOf(args, $"--{name}");
    return at >= 0 && at + 1 < args.Length ? args[at + 1] : fallback;
}

var report = new Report();
var output = Option("out", Path.Combine(Directory.GetCurrentDirectory(), ".bodycam", "bench"));
Console.WriteLine($"BodyCam benchmark on {Report.Machine}");
string[] sections = ["nearest", "location", "authorisation", "pipeline", "streaming", "talk", "glass", "audit", "gateway"];
var total = what == "all" ? sections.Length : 1;
var step = 0;
async Task SectionAsync(string name)
{
    step++;
    // Each section starts on a quiet system: what the one before left in the queues is worked off first.
    await Quiet.WaitAsync(Option("vhost", "bodycam"));
    Console.WriteLine($"[{step}/{total}] {name} (started {DateTime.Now:HH:mm:ss})");
}

if (what is "all" or "nearest")
{
    await SectionAsync("nearest");
    NearestBench.Run(report, int.Parse(Option("officers", "100000")), int.Parse(Option("queries", "20000")), int.Parse(Option("count", "10")));
}

if (what is "all" or "location")
{
    await SectionAsync("location");
    var gateway = new Gateway(new Uri(Option("gateway", "http://127.0.0.1:8080/")), Option("password", Environment.GetEnvironmentVariable("BODYCAM_DEMO_PASSWORD") ?? "demo"));
    // Without --batch, two sizes: what batching buys is part of the figure.
    foreach (var batch in Option("batch", "10,25").Split(',').Select(int.Parse))
    {
        await Quiet.WaitAsync(Option("vhost", "bodycam"));
        await LocationBench.RunAsync(report, gateway, int.Parse(Option("cameras", "200")), batch,
            int.Parse(Option("rate", "10000")), TimeSpan.FromSeconds(int.Parse(Option("seconds", "15"))));
    }
}

if (what is "all" or "authorisation")
{
    await SectionAsync("authorisation");
    var gateway = new Gateway(new Uri(Option("gateway", "http://127.0.0.1:8080/")), Option("password", Environment.GetEnvironmentVariable("BODYCAM_DEMO_PASSWORD") ?? "demo"));
    await AuthorisationBench.RunAsync(report, gateway, [.. Option("decisions", "200,500").Split(',').Select(int.Parse)], TimeSpan.FromSeconds(int.Parse(Option("seconds", "15"))));
}

if (what is "all" or "pipeline")
{
    await SectionAsync("pipeline");
    await PipelineBench.RunAsync(report, Option("rabbitmq", Environment.GetEnvironmentVariable("BODYCAM_BENCH_RABBITMQ") ?? "amqp://guest:guest@127.0.0.1:5672/bodycam"),
        Option("vhost", "bodycam"), Option("bodycam", "./bodycam"), int.Parse(Option("facts", "20000")), args.Contains("--alone"));
}

if (what is "all" or "streaming")
{
    await SectionAsync("streaming");
    var gateway = new Gateway(new Uri(Option("gateway", "http://127.0.0.1:8080/")), Option("password", Environment.GetEnvironmentVariable("BODYCAM_DEMO_PASSWORD") ?? "demo"));
    await StreamingBench.RunAsync(report, gateway, new Uri(Option("streaming", "http://127.0.0.1:5104/")),
        [.. Option("live-cameras", "10,50").Split(',').Select(int.Parse)], int.Parse(Option("viewers", "4")), int.Parse(Option("kbps", "2000")),
        TimeSpan.FromSeconds(int.Parse(Option("seconds", "15"))));
}

if (what is "all" or "talk")
{
    await SectionAsync("talk");
    var gateway = new Gateway(new Uri(Option("gateway", "http://127.0.0.1:8080/")), Option("password", Environment.GetEnvironmentVariable("BODYCAM_DEMO_PASSWORD") ?? "demo"));
    await TalkBench.RunAsync(report, gateway, int.Parse(Option("talks", "10")), TimeSpan.FromSeconds(int.Parse(Option("seconds", "15"))));
    await InstructionBench.RunAsync(report, gateway, int.Parse(Option("talks", "10")), 40);
}

if (what is "all" or "glass")
{
    await SectionAsync("glass");
    var gateway = new Gateway(new Uri(Option("gateway", "http://127.0.0.1:8080/")), Option("password", Environment.GetEnvironmentVariable("BODYCAM_DEMO_PASSWORD") ?? "demo"));
    await GlassBench.RunAsync(report, gateway, TimeSpan.FromSeconds(int.Parse(Option("seconds", "15"))));
}

// Not in "all": the rest measures streaming without a rewind buffer (like the floor); this needs one.
if (what is "rewind")
{
    await SectionAsync("rewind");
    var gateway = new Gateway(new Uri(Option("gateway", "http://127.0.0.1:8080/")), Option("password", Environment.GetEnvironmentVariable("BODYCAM_DEMO_PASSWORD") ?? "demo"));
    await RewindBench.RunAsync(report, gateway, new Uri(Option("streaming", "http://127.0.0.1:5104/")), int.Parse(Option("rewind-cameras", "10")), int.Parse(Option("kbps", "2000")),
        TimeSpan.FromSeconds(int.Parse(Option("rewind-seconds", "150"))));
}

if (what is "all" or "audit")
{
    await SectionAsync("audit");
    var gateway = new Gateway(new Uri(Option("gateway", "http://127.0.0.1:8080/")), Option("password", Environment.GetEnvironmentVariable("BODYCAM_DEMO_PASSWORD") ?? "demo"));
    await AuditBench.RunAsync(report, gateway, new Uri(Option("audit", "http://127.0.0.1:5105/")),
        Option("rabbitmq", Environment.GetEnvironmentVariable("BODYCAM_BENCH_RABBITMQ") ?? "amqp://guest:guest@127.0.0.1:5672/bodycam"), int.Parse(Option("entries", "1000000")),
        long.Parse(Option("verify-from", "1")));
}

if (what is "all" or "gateway")
{
    await SectionAsync("gateway");
    var gateway = new Gateway(new Uri(Option("gateway", "http://127.0.0.1:8080/")), Option("password", Environment.GetEnvironmentVariable("BODYCAM_DEMO_PASSWORD") ?? "demo"));
    await GatewayBench.RunAsync(report, gateway, new Uri(Option("location", "http://127.0.0.1:5102/")), new Uri(Option("ingest", "http://127.0.0.1:5101/")),
        int.Parse(Option("concurrency", "16")), TimeSpan.FromSeconds(int.Parse(Option("seconds", "15")) * 2));
}

// Not in "all": it needs the gateway's rate limits on, and the rest runs with them off.
if (what is "security")
{
    await SectionAsync("security");
    var gateway = new Gateway(new Uri(Option("gateway", "http://127.0.0.1:8080/")), Option("password", Environment.GetEnvironmentVariable("BODYCAM_DEMO_PASSWORD") ?? "demo"));
    await SecurityBench.RunAsync(report, gateway, TimeSpan.FromSeconds(int.Parse(Option("seconds", "15"))));
}

report.Write(output);
return 0;
