using System.Text.Json;
using Xunit;

namespace BodyCam.Testing;

public static class Problems
{
    /// <summary>The answer's problem details (RFC 9457), after checking that it is one.</summary>
    public static async Task<JsonElement> ProblemAsync(this HttpResponseMessage response)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }
}
