namespace BodyCam.Simulator;

/// <summary>A place officers are posted to: its name, where it is and the command that polices it.</summary>
public sealed record Place(string Name, double Lat, double Lon, string Command);

/// <summary>An area to simulate: the places officers patrol on foot and drive between.</summary>
public sealed record Area(string Name, IReadOnlyList<Place> Places)
{
    /// <summary>The West Midlands: Birmingham (B), Coventry (C), Wolverhampton and the Black Country (W).</summary>
    public static readonly Area WestMidlands = new("west-midlands",
    [
        new("Birmingham New Street", 52.4778, -1.8990, "B"),
        new("Bull Ring", 52.4773, -1.8937, "B"),
        new("Villa Park", 52.5092, -1.8848, "B"),
        new("St Andrew's", 52.4756, -1.8682, "B"),
        new("Edgbaston", 52.4559, -1.9025, "B"),
        new("Digbeth", 52.4751, -1.8831, "B"),
        new("Erdington", 52.5238, -1.8390, "B"),
        new("Selly Oak", 52.4393, -1.9352, "B"),
        new("Solihull", 52.4128, -1.7782, "B"),
        new("Coventry city centre", 52.4081, -1.5106, "C"),
        new("Coventry Building Society Arena", 52.4482, -1.4955, "C"),
        new("Foleshill", 52.4268, -1.5016, "C"),
        new("Canley", 52.3960, -1.5660, "C"),
        new("Wolverhampton city centre", 52.5862, -2.1288, "W"),
        new("Molineux", 52.5902, -2.1304, "W"),
        new("Walsall", 52.5860, -1.9829, "W"),
        new("Dudley", 52.5123, -2.0811, "W"),
        new("West Bromwich", 52.5187, -1.9945, "W"),
    ]);

    /// <summary>Greater Manchester: Manchester city (M), Salford and Trafford (S), Stockport (K).</summary>
    public static readonly Area GreaterManchester = new("greater-manchester",
    [
        new("Piccadilly Gardens", 53.4809, -2.2374, "M"),
        new("Deansgate", 53.4780, -2.2490, "M"),
        new("Etihad Stadium", 53.4831, -2.2004, "M"),
        new("Moss Side", 53.4600, -2.2330, "M"),
        new("Salford Quays", 53.4721, -2.2964, "S"),
        new("Old Trafford", 53.4631, -2.2913, "S"),
        new("Eccles", 53.4832, -2.3347, "S"),
        new("Stockport town centre", 53.4083, -2.1494, "K"),
        new("Cheadle", 53.3933, -2.2137, "K"),
    ]);

    public static readonly IReadOnlyList<Area> All = [WestMidlands, GreaterManchester];

    public static Area Named(string name) =>
        All.FirstOrDefault(a => a.Name == name)
        ?? throw new ArgumentException($"Unknown area '{name}'. Known: {string.Join(", ", All.Select(a => a.Name))}.");
}
