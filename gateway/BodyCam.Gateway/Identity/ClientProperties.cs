namespace BodyCam.Gateway.Identity;

/// <summary>What BodyCam keeps on an OpenIddict application besides OAuth settings.</summary>
public static class ClientProperties
{
    /// <summary>The BodyCam role the client's tokens carry: device or cad.</summary>
    public const string Role = "bodycam_role";

    /// <summary>For a camera's client: the one camera it may speak for.</summary>
    public const string CameraId = "camera_id";

    public const string Console = "bodycam-console";
    public const string DemoCad = "cad-demo";
}
