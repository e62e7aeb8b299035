using System.Text.Json.Serialization;

namespace BodyCam.Authorisation.Grants;

/// <summary>Where a request or grant stands. Stored and answered by name in lower case ("active").</summary>
[JsonConverter(typeof(JsonStringEnumConverter<GrantState>))]
public enum GrantState
{
    [JsonStringEnumMemberName("pending")]
    Pending,

    [JsonStringEnumMemberName("active")]
    Active,

    [JsonStringEnumMemberName("denied")]
    Denied,

    [JsonStringEnumMemberName("refused")]
    Refused,

    [JsonStringEnumMemberName("revoked")]
    Revoked,

    [JsonStringEnumMemberName("expired")]
    Expired,
}

public static class GrantStates
{
    /// <summary>The state as the API and the record name it: "active", "pending", ….</summary>
    public static string Name(this GrantState state) => state switch
    {
        GrantState.Pending => "pending",
        GrantState.Active => "active",
        GrantState.Denied => "denied",
        GrantState.Refused => "refused",
        GrantState.Revoked => "revoked",
        GrantState.Expired => "expired",
        _ => throw new ArgumentOutOfRangeException(nameof(state)),
    };

    public static bool TryParse(string? name, out GrantState state)
    {
        foreach (var candidate in Enum.GetValues<GrantState>())
        {
            if (candidate.Name() == name)
            {
                state = candidate;
                return true;
            }
        }

        state = default;
        return false;
    }
}

