using BodyCam.Audit.Chain;
using Marten;
using Npgsql;
using Marten.Storage;
using Weasel.Postgresql.Tables;

namespace BodyCam.Audit.Tree;

/// <summary>
/// The tree's full tiles, as rows of <c>bodycam_tree_tiles</c> (level, index, 8,192 bytes of
/// hashes): written once, by the chain's writer in the same transaction as the entries they cover,
/// and never changed (the table is append-only like the event table). Partial tiles are not stored:
/// they are computed from the entries (level 0) or the full tiles below (level 1 and up).
/// </summary>
public sealed class TreeTiles(IDocumentStore store, ILogger<TreeTiles> log)
{
    public const string TableName = "bodycam_tree_tiles";

    public static Table Definition(string schema)
    {
        var table = new Table(new Weasel.Postgresql.PostgresqlObjectName(schema, TableName, Weasel.Postgresql.SchemaUtils.IdentifierUsage.General));
        table.AddColumn("level", "integer").AsPrimaryKey();
        table.AddColumn("idx", "bigint").AsPrimaryKey();
        table.AddColumn("hashes", "bytea").NotNull();
        return table;
    }

    public string Qualified => $"{store.Options.DatabaseSchemaName}.{TableName}";

    /// <summary>Queues the insert of a full tile in the writer's session (committed with its entries).</summary>
    public void Insert(IDocumentSession session, FullTile tile) =>
        session.QueueSqlCommand($"INSERT INTO {Qualified} (level, idx, hashes) VALUES (?, ?, ?)", tile.Level, tile.Index, tile.Hashes);

    /// <summary>The stored full tiles of <paramref name="level"/> from <paramref name="from"/> to <paramref name="to"/> (inclusive), by index.</summary>
    public async Task<SortedList<long, byte[]>> ReadAsync(int level, long from, long to, CancellationToken cancellationToken)
    {
        var tiles = new SortedList<long, byte[]>();
        if (to < from)
        {
            return tiles;
        }

        await using var connection = store.Storage.Database.CreateConnection(ConnectionUsage.Read);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand($"SELECT idx, hashes FROM {Qualified} WHERE level = @level AND idx BETWEEN @from AND @to", connection);
        command.Parameters.AddWithValue("level", level);
        command.Parameters.AddWithValue("from", from);
        command.Parameters.AddWithValue("to", to);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            tiles[reader.GetInt64(0)] = (byte[])reader[1];
        }

        return tiles;
    }

    /// <summary>How many full tiles <paramref name="level"/> has (tiles are written in order, so the highest index plus one).</summary>
    public async Task<long> CountAsync(int level, CancellationToken cancellationToken)
    {
        await using var connection = store.Storage.Database.CreateConnection(ConnectionUsage.Read);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand($"SELECT coalesce(max(idx) + 1, 0) FROM {Qualified} WHERE level = @level", connection);
        command.Parameters.AddWithValue("level", level);
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>The leaf hashes of entries <paramref name="fromSeq"/>..<paramref name="toSeq"/>, recomputed from the chain's event stream; throws when one is missing or does not add up.</summary>
    public async Task<List<byte[]>> LeavesAsync(long fromSeq, long toSeq, CancellationToken cancellationToken) =>
        [.. (await ChainEntries.ReadAsync(store, fromSeq, toSeq, cancellationToken)).Select(e => Convert.FromBase64String(e.ComputeLeafHash()))];

    /// <summary>
    /// Builds every full tile the first <paramref name="size"/> entries make that is not stored yet
    /// (a chain recorded before the tree existed, in order), then the writer's frontier: the partial
    /// tile of each level. Each built tile is its own short transaction, so a long migration can stop
    /// and resume.
    /// </summary>
    public async Task<TreeFrontier> LoadAsync(long size, CancellationToken cancellationToken)
    {
        var frontier = new TreeFrontier();
        for (var level = 0; level < TreeFrontier.Levels; level++)
        {
            var full = Tiles.FullTiles(level, size);
            var stored = await CountAsync(level, cancellationToken);
            if (stored < full)
            {
                log.LogInformation("Building tree tiles {From}-{To} of level {Level} from the record", stored, full - 1, level);
            }

            for (var index = stored; index < full; index++)
            {
                var hashes = await LowerHashesAsync(level, index, Tiles.Width, cancellationToken);
                await using var session = store.LightweightSession();
                Insert(session, new FullTile(level, index, hashes));
                await session.SaveChangesAsync(cancellationToken);
            }

            var width = Tiles.WidthAt(level, full, size);
            if (width > 0)
            {
                frontier.Seed(level, full, await LowerHashesAsync(level, full, width, cancellationToken));
            }
        }

        frontier.Size = size;
        return frontier;
    }

    /// <summary>The first <paramref name="width"/> hashes of tile (<paramref name="level"/>, <paramref name="index"/>), computed from below: leaf hashes of entries at level 0, roots of full tiles above.</summary>
    /// <remarks>
    /// What is computed is kept: the roots of full tiles (32 bytes each, never changing), and the last
    /// partial tiles asked for (a tile of a given width never changes either). A checkpoint each second
    /// and proofs at the head then read a handful of rows, not hundreds of tiles.
    /// </remarks>
    public async Task<byte[]> LowerHashesAsync(int level, long index, int width, CancellationToken cancellationToken)
    {
        if (_partials.TryGetValue((level, index, width), out var known))
        {
            return known;
        }

        var hashes = new byte[width * Merkle.HashSize];
        if (level == 0)
        {
            var first = index * Tiles.Width + 1;
            var leaves = await LeavesAsync(first, first + width - 1, cancellationToken);
            for (var i = 0; i < width; i++)
            {
                leaves[i].CopyTo(hashes, i * Merkle.HashSize);
            }
        }
        else
        {
            var firstBelow = index * Tiles.Width;
            var missing = Enumerable.Range(0, width).Where(i => !_roots.ContainsKey((level - 1, firstBelow + i))).ToList();
            if (missing.Count > 0)
            {
                var below = await ReadAsync(level - 1, firstBelow + missing[0], firstBelow + missing[^1], cancellationToken);
                foreach (var i in missing)
                {
                    var tile = below.GetValueOrDefault(firstBelow + i)
                        ?? throw new TreeBrokenException($"Tile {level - 1}/{firstBelow + i} is missing from the tree.");
                    _roots[(level - 1, firstBelow + i)] = Tiles.PerfectRoot(tile);
                }
            }

            for (var i = 0; i < width; i++)
            {
                _roots[(level - 1, firstBelow + i)].CopyTo(hashes, i * Merkle.HashSize);
            }
        }

        if (_partials.Count >= 256)
        {
            _partials.Clear();
        }

        _partials[(level, index, width)] = hashes;
        return hashes;
    }

    private readonly System.Collections.Concurrent.ConcurrentDictionary<(int Level, long Index), byte[]> _roots = new();
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(int Level, long Index, int Width), byte[]> _partials = new();
}

/// <summary>The tree is not what its entries make: a tile or entry is missing or differs.</summary>
public sealed class TreeBrokenException(string message) : Exception(message);
