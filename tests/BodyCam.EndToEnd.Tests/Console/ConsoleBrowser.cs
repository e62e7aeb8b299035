using System.Collections.Concurrent;
using BodyCam.Testing;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;
using Xunit;

namespace BodyCam.EndToEnd.Tests.Console;

/// <summary>
/// Debian's Chromium driven by Playwright (never a downloaded browser), one context per person, so
/// each signs in for themselves. Errors in a page's console fail the test; screenshots are saved
/// under <c>artifacts/console/</c> at the repository root.
/// </summary>
internal sealed class ConsoleBrowser : IAsyncDisposable
{
    public static readonly string Artifacts = Path.Combine(ServiceProcess.RepositoryRoot(), "artifacts", "console");

    private readonly IPlaywright _playwright;
    private readonly IBrowser _browser;
    private readonly BodyCamSystem _system;
    private readonly ConcurrentQueue<string> _errors = new();

    private ConsoleBrowser(IPlaywright playwright, IBrowser browser, BodyCamSystem system)
    {
        _playwright = playwright;
        _browser = browser;
        _system = system;
    }

    /// <summary>What the pages wrote to their consoles as errors, and scripts that threw.</summary>
    public IReadOnlyCollection<string> Errors => _errors;

    public static async Task<ConsoleBrowser> LaunchAsync(BodyCamSystem system)
    {
        Directory.CreateDirectory(Artifacts);
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--autoplay-policy=no-user-gesture-required",
                // A fake microphone (a beep) that needs no prompt: push-to-talk encodes real audio.
                "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"],
        });
        return new ConsoleBrowser(playwright, browser, system);
    }

    /// <summary>A new person's page, signed in through the console's own sign-in (code + PKCE).</summary>
    public async Task<IPage> SignInAsync(string username, int width = 1400, int height = 900, string path = "console/", string? initScript = null)
    {
        var context = await _browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = width, Height = height }, Permissions = ["microphone"] });
        context.SetDefaultTimeout(20_000);
        if (initScript is not null)
        {
            await context.AddInitScriptAsync(initScript);
        }

        var page = await context.NewPageAsync();
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                _errors.Enqueue($"{username}: {message.Text} ({message.Location})");
            }
        };
        page.PageError += (_, error) => _errors.Enqueue($"{username}: {error}");

        await page.GotoAsync(new Uri(_system.GatewayAddress, path).ToString());
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in with your force account" }).ClickAsync();
        await page.GetByLabel("Username").FillAsync(username);
        await page.GetByLabel("Password").FillAsync(BodyCamSystem.DemoPassword);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in", Exact = true }).ClickAsync();
        await Assertions.Expect(page.Locator("#who")).ToContainTextAsync($"({RoleOf(username)}");
        return page;
    }

    /// <summary>A page anyone may open, without signing in.</summary>
    public async Task<IPage> OpenAsync(string path)
    {
        var context = await _browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1200, Height = 900 } });
        context.SetDefaultTimeout(20_000);
        var page = await context.NewPageAsync();
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                _errors.Enqueue($"{path}: {message.Text} ({message.Location})");
            }
        };
        page.PageError += (_, error) => _errors.Enqueue($"{path}: {error}");
        var response = await page.GotoAsync(new Uri(_system.GatewayAddress, path).ToString());
        Assert.True(response?.Ok, $"GET {path}: {response?.Status}");
        return page;
    }

    public static Task ScreenshotAsync(IPage page, string name) =>
        page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Artifacts, $"{name}.png"), FullPage = true });

    /// <summary>axe-core's check of what the page shows now: no serious or critical violation (labels, contrast, roles…).</summary>
    public static async Task AssertAccessibleAsync(IPage page)
    {
        var results = await page.RunAxe();
        var violations = results.Violations.Where(v => v.Impact is "serious" or "critical").ToList();
        Assert.True(violations.Count == 0, string.Join('\n', violations.Select(v =>
            $"{v.Id} ({v.Impact}): {v.Help} at {string.Join(", ", v.Nodes.Take(3).Select(n => n.Html))}")));
    }

    /// <summary>
    /// Waits until the screen draws again what <paramref name="locator"/> finds now (after
    /// <paramref name="meanwhile"/>, if given, which makes it draw): the element is replaced by its
    /// list's next refresh, a poll or a change from the server.
    /// </summary>
    public static async Task RedrawnAsync(ILocator locator, Func<Task>? meanwhile = null)
    {
        var drawn = await locator.ElementHandleAsync();
        if (meanwhile is not null)
        {
            await meanwhile();
        }

        await locator.Page.WaitForFunctionAsync("e => !e.isConnected", drawn, new() { Timeout = 20_000 });
    }

    public void AssertNoErrors() => Assert.True(_errors.IsEmpty, string.Join('\n', _errors));

    private static string RoleOf(string username) => username switch
    {
        "control1" => "control-room",
        "supervisor1" => "supervisor",
        "compliance1" => "compliance",
        "admin" => "admin",
        _ => "officer",
    };

    public async ValueTask DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
    }
}
