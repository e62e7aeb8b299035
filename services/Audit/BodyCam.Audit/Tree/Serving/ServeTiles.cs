using System.Buffers.Binary;
using BodyCam.Audit.Chain;
using BodyCam.ServiceDefaults;
using BodyCam.ServiceDefaults.Problems;
using BodyCam.ServiceDefaults.Security;
using Marten;

namespace BodyCam.Audit.Tree.Serving;

/// <summary>
/// The tree and its entries as C2SP <c>tlog-tiles</c> names them: <c>GET /api/audit/tile/{L}/{N}</c>
/// (8,192 bytes of hashes; <c>.p/{W}</c> for the first W hashes of a partial tile) and
/// <c>GET /api/audit/tile/entries/{N}</c> (each entry's canonical bytes, big-endian uint16 length
/// first). Full tiles and bundles never change and may be cached for good. Bundles are the audit
/// record itself, so reading one is recorded like any read of it.
/// </summary>
public static class ServeTiles
{
    public const string ContentType = "application/octet-stream";
    private const string Immutable = "private, max-age=31536000, immutable";

    public static RouteGroupBuilder MapServeTiles(this RouteGroupBuilder audit)
    {
        audit.MapGet("/tile/entries/{**path}", EntriesAsync)
            .RequireRoles(Roles.Compliance, Roles.Admin)
            .WithName("GetAuditEntryBundle")
            .WithSummary("An entry bundle of the audit log (tlog-tiles): the entries' canonical bytes, each after its big-endian uint16 length.");
        audit.MapGet("/tile/{level}/{**path}", TileAsync)
            .RequireRoles(Roles.Compliance, Roles.Admin)
            .WithName("GetAuditTile")
            .WithSummary("A tile of the audit log's Merkle tree (tlog-tiles): 256 hashes, or the first W of a partial tile.");
        return audit;
    }

    private static async Task<IResult> TileAsync(HttpContext http, LogTree tree, TreeTiles tiles, string level, string? path, CancellationToken cancellationToken)
    {
        // Parsed here rather than by a route constraint, so a caller without the role hears 403 whatever they ask for.
        if (level is not { Length: 1 } || level[0] is < '0' or > '7' || !Tiles.TryParse(path, out var index, out var width))
        {
            return Problem.NotFound($"tile/{level}/{path} is not a tile of this log: levels 0-{TreeFrontier.Levels - 1}, index as x001/x234/067, partial as .p/1-255.");
        }

        var tileLevel = level[0] - '0';
        var size = await tree.SizeAtLeastAsync(Tiles.SizeHolding(tileLevel, index, width), cancellationToken);
        var available = Tiles.WidthAt(tileLevel, index, size);
        if (available < width)
        {
            return Problem.NotFound($"The tree of {size} entries has {available} hashes in tile {level}/{Tiles.IndexPath(index)}.");
        }

        var hashes = width == Tiles.Width ? await tree.TileAsync(tileLevel, index, size, cancellationToken) : await tiles.LowerHashesAsync(tileLevel, index, width, cancellationToken);
        if (width == Tiles.Width)
        {
            http.Response.Headers.CacheControl = Immutable;
        }

        return TypedResults.Bytes(hashes!, ContentType);
    }

    private static async Task<IResult> EntriesAsync(HttpContext http, LogTree tree, IDocumentSession session, TimeProvider time, string? path, string? reason, CancellationToken cancellationToken)
    {
        if (!Tiles.TryParse(path, out var index, out var width))
        {
            return Problem.NotFound($"tile/entries/{path} is not an entry bundle of this log: index as x001/x234/067, partial as .p/1-255.");
        }

        var size = await tree.SizeAtLeastAsync(Tiles.SizeHolding(0, index, width), cancellationToken);
        var available = Tiles.WidthAt(0, index, size);
        if (available < width)
        {
            return Problem.NotFound($"The log of {size} entries has {available} entries in bundle {Tiles.IndexPath(index)}.");
        }

        var first = index * Tiles.Width + 1;
        var entries = await ChainEntries.ReadAsync(session.DocumentStore, first, first + width - 1, cancellationToken);
        using var bundle = new MemoryStream();
        Span<byte> length = stackalloc byte[2];
        foreach (var entry in entries)
        {
            var canonical = AuditHash.Canonical(entry.Id, entry.PrevHash, entry.At, entry.Type, entry.MessageId, entry.ActorId, entry.Subject, entry.Data);
            if (canonical.Length > ushort.MaxValue)
            {
                throw new TreeBrokenException($"Entry {entry.Id} is {canonical.Length} bytes: more than an entry bundle can carry.");
            }

            BinaryPrimitives.WriteUInt16BigEndian(length, (ushort)canonical.Length);
            bundle.Write(length);
            bundle.Write(canonical);
        }

        PersonalDataReads.Record(session, http, "audit", "entry-bundle", null, entries.Count, reason, time.GetUtcNow(), $"bundle={Tiles.IndexPath(index)}&width={width}");
        await session.SaveChangesAsync(cancellationToken);
        if (width == Tiles.Width)
        {
            http.Response.Headers.CacheControl = Immutable;
        }

        return TypedResults.Bytes(bundle.ToArray(), ContentType);
    }
}
