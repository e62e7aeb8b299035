using Marten;
using Marten.Storage;
using Npgsql;
using NpgsqlTypes;
using Weasel.Postgresql.Tables;

namespace BodyCam.Location.Map;

/// <summary>
/// Position history: a plain table in the location schema (created and migrated by Marten with the
/// rest of the schema), keyed by camera and sample time. Telemetry is the one high-rate fact, so its
/// samples are rows, not JSON documents, written a batch at a time by one statement that skips the
/// samples already stored.
/// </summary>
public sealed class TrackPoints(IDocumentStore store)
{
    public const string TableName = "track_points";

    public static Table Definition(string schema)
    {
        var table = new Table(new Weasel.Postgresql.PostgresqlObjectName(schema, TableName, Weasel.Postgresql.SchemaUtils.IdentifierUsage.General));
        table.AddColumn("camera_id", "text").AsPrimaryKey();
        table.AddColumn("at", "timestamptz").AsPrimaryKey();
        table.AddColumn("lat", "double precision").NotNull();
        table.AddColumn("lon", "double precision").NotNull();
        table.AddColumn("accuracy_m", "double precision").AllowNulls();
        table.AddColumn("heading_deg", "double precision").AllowNulls();
        table.AddColumn("speed_mps", "double precision").AllowNulls();
        table.AddColumn("battery_pct", "double precision").AllowNulls();
        return table;
    }

    private string Qualified => $"{store.Options.DatabaseSchemaName}.{TableName}";

    /// <summary>Stores the points; those already stored (same camera and time) are skipped.</summary>
    public async Task InsertAsync(IReadOnlyCollection<TrackPoint> points, CancellationToken cancellationToken)
    {
        await using var connection = store.Storage.Database.CreateConnection(ConnectionUsage.ReadWrite);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(
            $"""
            INSERT INTO {Qualified} (camera_id, at, lat, lon, accuracy_m, heading_deg, speed_mps, battery_pct)
            SELECT * FROM unnest(@camera, @at, @lat, @lon, @accuracy, @heading, @speed, @battery)
            ON CONFLICT DO NOTHING
            """, connection);
        command.Parameters.Add(new NpgsqlParameter<string[]>("camera", [.. points.Select(p => p.CameraId)]));
        command.Parameters.Add(new NpgsqlParameter<DateTime[]>("at", [.. points.Select(p => p.At.UtcDateTime)]) { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new NpgsqlParameter<double[]>("lat", [.. points.Select(p => p.Lat)]));
        command.Parameters.Add(new NpgsqlParameter<double[]>("lon", [.. points.Select(p => p.Lon)]));
        command.Parameters.Add(new NpgsqlParameter<double?[]>("accuracy", [.. points.Select(p => p.AccuracyM)]));
        command.Parameters.Add(new NpgsqlParameter<double?[]>("heading", [.. points.Select(p => p.HeadingDeg)]));
        command.Parameters.Add(new NpgsqlParameter<double?[]>("speed", [.. points.Select(p => p.SpeedMps)]));
        command.Parameters.Add(new NpgsqlParameter<double?[]>("battery", [.. points.Select(p => p.BatteryPct)]));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>A camera's points between two times, oldest first.</summary>
    public async Task<List<TrackPoint>> BetweenAsync(string cameraId, DateTimeOffset from, DateTimeOffset to, int limit, CancellationToken cancellationToken)
    {
        await using var connection = store.Storage.Database.CreateConnection(ConnectionUsage.Read);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(
            $"""
            SELECT camera_id, at, lat, lon, accuracy_m, heading_deg, speed_mps, battery_pct FROM {Qualified}
            WHERE camera_id = @camera AND at >= @from AND at <= @to ORDER BY at LIMIT @limit
            """, connection);
        command.Parameters.AddWithValue("camera", cameraId);
        command.Parameters.AddWithValue("from", from.UtcDateTime);
        command.Parameters.AddWithValue("to", to.UtcDateTime);
        command.Parameters.AddWithValue("limit", limit);
        var points = new List<TrackPoint>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            points.Add(new TrackPoint(
                reader.GetString(0), new DateTimeOffset(reader.GetDateTime(1), TimeSpan.Zero), reader.GetDouble(2), reader.GetDouble(3),
                Nullable(reader, 4), Nullable(reader, 5), Nullable(reader, 6), Nullable(reader, 7)));
        }

        return points;
    }

    private static double? Nullable(NpgsqlDataReader reader, int column) => reader.IsDBNull(column) ? null : reader.GetDouble(column);
}
