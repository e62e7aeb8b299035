namespace BodyCam.Streaming.Pushing;

/// <summary>
/// A push or back-fill refused before its body was read to the end leaves unread bytes on the
/// connection. Kestrel may then close that connection just as the gateway sends the next request on
/// it from its pool, which the gateway answers 502. A refusal therefore says <c>Connection: close</c>,
/// so no proxy reuses the connection.
/// </summary>
internal static class RefusedBodies
{
    public static void CloseConnectionOnRefusal(this HttpContext http) =>
        http.Response.OnStarting(() =>
        {
            if (http.Response.StatusCode >= StatusCodes.Status400BadRequest)
            {
                http.Response.Headers.Connection = "close";
            }

            return Task.CompletedTask;
        });
}
