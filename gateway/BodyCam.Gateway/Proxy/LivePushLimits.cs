using Microsoft.AspNetCore.Server.Kestrel.Core.Features;

namespace BodyCam.Gateway.Proxy;

/// <summary>
/// A camera's live push is one request that lasts as long as it records: the gateway lifts the
/// minimum body data rate for it (a camera may pause), as the route lifts the body size limit.
/// </summary>
public static class LivePushLimits
{
    public static IApplicationBuilder UseLivePushLimits(this IApplicationBuilder app) =>
        app.Use((context, next) =>
        {
            if (IsLivePush(context.Request) && context.Features.Get<IHttpMinRequestBodyDataRateFeature>() is { } rate)
            {
                rate.MinDataRate = null;
            }

            return next(context);
        });

    /// <summary>A camera's live push: <c>POST /api/streaming/cameras/{id}/live</c>.</summary>
    public static bool IsLivePush(HttpRequest request) =>
        HttpMethods.IsPost(request.Method)
        && request.Path.StartsWithSegments("/api/streaming/cameras", out var rest)
        && rest.Value?.EndsWith("/live", StringComparison.Ordinal) == true;
}
