using System.Text.RegularExpressions;

namespace BodyCam.Ingest.Cameras;

/// <summary>A camera's lifecycle is one Marten event stream, keyed by the camera id.</summary>
public static partial class CameraStream
{
    public static string Key(string cameraId) => $"camera/{cameraId}";

    /// <summary>Letters, digits, dot, dash and underscore; 1 to 64 characters, starting with a letter or digit.</summary>
    public static bool IsValidId(string? cameraId) => cameraId is not null && IdPattern().IsMatch(cameraId);

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", RegexOptions.CultureInvariant)]
    private static partial Regex IdPattern();
}
