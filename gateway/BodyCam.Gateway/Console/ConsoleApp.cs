using BodyCam.ServiceDefaults.Problems;
using Microsoft.Extensions.FileProviders;

namespace BodyCam.Gateway.Console;

/// <summary>
/// Serves the control-room console: a static web app built once from <c>gateway/console</c> (its npm
/// packages are copied in at build time; nothing is fetched from elsewhere at run time). The console
/// holds no secrets and calls the same public API as everyone else, so its files are public.
/// </summary>
public static class ConsoleApp
{
    public const string Path = "/console";

    public static WebApplication UseConsole(this WebApplication app)
    {
        var root = app.Configuration["Console:Root"] is { Length: > 0 } configured
            ? System.IO.Path.GetFullPath(configured)
            : System.IO.Path.Combine(app.Environment.ContentRootPath, "console");
        if (!Directory.Exists(root) || !File.Exists(System.IO.Path.Combine(root, "index.html")))
        {
            app.Logger.LogWarning("The console is not built at {Root}; /console answers 404. './bodycam up' builds it.", root);
            return app;
        }

        var files = new PhysicalFileProvider(root);
        app.MapGet(Path + "/config.json", (IConfiguration configuration) => TypedResults.Ok(new ConsoleSettings(
                configuration["Console:TileUrl"] is { Length: > 0 } tiles ? tiles : null,
                configuration["Console:TileAttribution"],
                [configuration.GetValue("Console:CenterLat", 52.4862), configuration.GetValue("Console:CenterLon", -1.8904)],
                configuration.GetValue("Console:Zoom", 11))))
            .AllowAnonymous()
            .ExcludeFromDescription();
        app.MapGet("/", () => Results.Redirect(Path + "/")).AllowAnonymous().ExcludeFromDescription();
        app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files, RequestPath = Path });
        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = files,
            RequestPath = Path,
            OnPrepareResponse = context =>
            {
                var headers = context.Context.Response.Headers;
                headers.CacheControl = "no-cache";
                headers.XContentTypeOptions = "nosniff";
                headers["Referrer-Policy"] = "no-referrer";
                // Everything the console loads is its own; media come from blob: URLs (MSE) and the
                // API and live sockets from this origin.
                headers.ContentSecurityPolicy =
                    "default-src 'self'; img-src 'self' data: blob: " + TileOrigin(app.Configuration) + "; media-src 'self' blob:; " +
                    "connect-src 'self' ws: wss:; style-src 'self' 'unsafe-inline'; worker-src 'self' blob:; frame-ancestors 'none'";
            },
        });
        // A console file that does not exist is simply not found (the files are public, so the API's
        // "sign in first" answer would be misleading).
        app.Use(async (context, next) =>
        {
            if (context.Request.Path.StartsWithSegments(Path) && context.GetEndpoint() is null)
            {
                await Results.Problem($"There is no console file at {context.Request.Path}.", statusCode: StatusCodes.Status404NotFound,
                    type: ProblemTypes.NotFound, title: "Not found").ExecuteAsync(context);
                return;
            }

            await next(context);
        });
        return app;
    }

    /// <summary>What the console needs before sign-in: the map's tile server (none by default) and where to start.</summary>
    public sealed record ConsoleSettings(string? TileUrl, string? TileAttribution, double[] Center, int Zoom);

    private static string TileOrigin(IConfiguration configuration) =>
        Uri.TryCreate(configuration["Console:TileUrl"], UriKind.Absolute, out var tiles) ? tiles.GetLeftPart(UriPartial.Authority) : "";
}
