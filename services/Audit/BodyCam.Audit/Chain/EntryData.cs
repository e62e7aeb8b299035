using System.Text.Json;

namespace BodyCam.Audit.Chain;

/// <summary>Reading an audit entry's event data (camelCase JSON).</summary>
internal static class EntryData
{
    /// <summary>The string value of <paramref name="field"/>, or null when it is absent or not a string.</summary>
    public static string? Text(this JsonElement data, string field) =>
        data.TryGetProperty(field, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
