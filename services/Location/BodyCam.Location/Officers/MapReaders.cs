namespace BodyCam.Location.Officers;

/// <summary>Who may read the live map. Compliance may not: it replays positions through audit timelines.</summary>
public static class MapReaders
{
    public static readonly string[] Roles =
        [ServiceDefaults.Security.Roles.Officer, ServiceDefaults.Security.Roles.Supervisor, ServiceDefaults.Security.Roles.ControlRoom,
         ServiceDefaults.Security.Roles.Admin, ServiceDefaults.Security.Roles.Cad];
}
