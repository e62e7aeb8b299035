namespace BodyCam.ServiceDefaults.Security;

/// <summary>The roles a BodyCam token can carry, for people and for clients.</summary>
public static class Roles
{
    public const string Officer = "officer";
    public const string Supervisor = "supervisor";
    public const string ControlRoom = "control-room";
    public const string Compliance = "compliance";
    public const string Admin = "admin";

    /// <summary>A body-worn camera, authenticated with its own client credentials.</summary>
    public const string Device = "device";

    /// <summary>A computer-aided dispatch system.</summary>
    public const string Cad = "cad";

    public static readonly IReadOnlyList<string> All =
        [Officer, Supervisor, ControlRoom, Compliance, Admin, Device, Cad];
}

/// <summary>Claim names BodyCam tokens carry besides the registered JWT claims.</summary>
public static class BodyCamClaims
{
    public const string Role = "role";
    public const string Subject = "sub";
    public const string Name = "name";
    public const string OfficerId = "officer_id";
    public const string Command = "command";
    public const string CameraId = "camera_id";

    /// <summary>The audience every BodyCam API token is issued for.</summary>
    public const string Audience = "bodycam";
}
