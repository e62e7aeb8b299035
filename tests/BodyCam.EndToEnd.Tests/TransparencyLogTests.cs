using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using BodyCam.Audit.Tree;
using BodyCam.Testing;
using Xunit;

namespace BodyCam.EndToEnd.Tests;

/// <summary>
/// The audit log as an outsider checks it: a checkpoint signed by the log and cosigned by the
/// witness, tiles and entry bundles that hash to it, and inclusion and consistency proofs that
/// verify with the RFC's algorithms against the signed roots.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class TransparencyLogTests(BodyCamSystem system)
{
    [Fact]
    public async Task The_log_serves_a_witnessed_checkpoint_with_tiles_bundles_and_proofs_that_verify_against_it()
    {
        var cameraId = Api.NewCameraId();
        await system.RegisterCameraAsync(cameraId);
        var entries = await system.AuditEventsEventuallyAsync($"cameraId={cameraId}", count: 2);
        var seq = entries.Max(e => e.GetProperty("seq").GetInt64());
        using var compliance = await system.ClientForAsync("compliance1");

        var (size, root, _) = await WitnessedCheckpointAsync(compliance, seq);

        // Every entry's leaf hash is in the level 0 tiles, and every bundled entry hashes to it.
        var tiles = new List<byte[]>();
        for (long index = 0; index * 256 < size; index++)
        {
            var width = (int)Math.Min(256, size - index * 256);
            var suffix = width == 256 ? "" : $".p/{width}";
            var tile = await compliance.GetByteArrayAsync($"api/audit/tile/0/{Tiles.IndexPath(index)}{suffix}");
            Assert.Equal(width * 32, tile.Length);
            var bundle = await compliance.GetByteArrayAsync($"api/audit/tile/entries/{Tiles.IndexPath(index)}{suffix}");
            var bundled = Bundled(bundle);
            Assert.Equal(width, bundled.Count);
            for (var i = 0; i < width; i++)
            {
                Assert.Equal(Convert.ToHexString(tile, i * 32, 32), Convert.ToHexString(Merkle.Leaf(bundled[i])));
            }

            tiles.Add(tile);
        }

        // The tiles make the signed root (RFC 9162 MTH), and each of the camera's entries has an inclusion proof.
        var leaves = tiles.SelectMany(t => t.Chunk(32)).ToArray();
        Assert.Equal(Convert.ToBase64String(root), Convert.ToBase64String(Merkle.Root(size, (level, index) => Subtree(leaves, level, index))));
        foreach (var entry in entries)
        {
            var s = entry.GetProperty("seq").GetInt64();
            var proof = await compliance.GetFromJsonAsync<JsonElement>($"api/audit/proofs/inclusion?seq={s}&treeSize={size}");
            var leaf = Convert.FromBase64String(proof.GetProperty("leafHash").GetString()!);
            Assert.Equal(entry.GetProperty("leafHash").GetString(), proof.GetProperty("leafHash").GetString());
            Assert.True(Merkle.VerifyInclusion(s - 1, size, leaf, Hashes(proof), root), $"entry {s}'s inclusion proof in the tree of {size}");
        }

        // Later, a bigger witnessed tree extends this one, provably.
        await system.RegisterCameraAsync(Api.NewCameraId());
        var (later, laterRoot, _) = await WitnessedCheckpointAsync(compliance, size + 1);
        var consistency = await compliance.GetFromJsonAsync<JsonElement>($"api/audit/proofs/consistency?from={size}&to={later}");
        Assert.True(Merkle.VerifyConsistency(size, later, root, laterRoot, Hashes(consistency)), $"the tree of {size} is a prefix of the tree of {later}");

        // Reading the entries themselves is a consultation of the record, and on it.
        await Eventually.Async(async () =>
        {
            var reads = await system.AuditEventsAsync("type=PersonalDataRead&limit=1000");
            return reads.FirstOrDefault(r => r.GetProperty("actorId").GetString() == "compliance1" && r.GetProperty("data").GetRawText().Contains("entry-bundle", StringComparison.Ordinal)) is { ValueKind: JsonValueKind.Object } read ? (object)read : null;
        }, TimeSpan.FromSeconds(30), "the bundle read on the record");
    }

    [Fact]
    public async Task A_witness_that_was_away_catches_up_and_cosigns_from_where_it_left_off()
    {
        using var compliance = await system.ClientForAsync("compliance1");
        Assert.True(SignedNote.TryParseVerifierKey(system.WitnessKey, out var witnessKey));
        await system.RegisterCameraAsync(Api.NewCameraId());
        var (before, _, _) = await WitnessedCheckpointAsync(compliance, 1);

        // The witness's office is off line; the log goes on, signing checkpoints no one cosigns.
        await system.Witness.KillAsync();
        for (var i = 0; i < 3; i++)
        {
            await system.RegisterCameraAsync(Api.NewCameraId());
        }

        var alone = await Eventually.Async(async () =>
        {
            var note = await compliance.GetStringAsync("api/audit/checkpoint");
            return SignedNote.TryParse(note, out var body, out var signatures) && SignedNote.TryReadCheckpoint(body, out _, out var size, out _)
                && size > before + 3 && !signatures.Any(s => SignedNote.Verifies(body, s, witnessKey)) ? (object)size : null;
        }, TimeSpan.FromSeconds(30), "a checkpoint signed while the witness is away");
        var unwitnessed = await compliance.GetFromJsonAsync<JsonElement>("api/audit/verify");
        Assert.False(unwitnessed.GetProperty("witnessQuorum").GetBoolean(), unwitnessed.GetRawText());

        // Back, it is sent a consistency proof from the tree it last cosigned, and cosigns the new head
        // even if nothing new happens (the log signs its head again while the quorum is missing).
        await system.RestartWitnessAsync();
        var (after, _, _) = await WitnessedCheckpointAsync(compliance, (long)alone, TimeSpan.FromSeconds(90));
        Assert.True(after >= (long)alone);
        var verified = await compliance.GetFromJsonAsync<JsonElement>("api/audit/verify");
        Assert.True(verified.GetProperty("ok").GetBoolean() && verified.GetProperty("witnessQuorum").GetBoolean(), verified.GetRawText());
    }

    [Theory]
    [InlineData("api/audit/tile/0/abc", HttpStatusCode.NotFound)]
    [InlineData("api/audit/tile/0/x000/000", HttpStatusCode.NotFound)]
    [InlineData("api/audit/tile/0/000.p/0", HttpStatusCode.NotFound)]
    [InlineData("api/audit/tile/9/000", HttpStatusCode.NotFound)]
    [InlineData("api/audit/tile/0/x999/x999/999", HttpStatusCode.NotFound)]
    [InlineData("api/audit/tile/entries/..%2F..%2Fetc", HttpStatusCode.NotFound)]
    [InlineData("api/audit/proofs/inclusion?seq=0", HttpStatusCode.BadRequest)]
    [InlineData("api/audit/proofs/inclusion?seq=2&treeSize=1", HttpStatusCode.BadRequest)]
    [InlineData("api/audit/proofs/inclusion?seq=1&treeSize=999999999999", HttpStatusCode.BadRequest)]
    [InlineData("api/audit/proofs/consistency?from=0&to=1", HttpStatusCode.BadRequest)]
    [InlineData("api/audit/proofs/consistency?from=3&to=2", HttpStatusCode.BadRequest)]
    [InlineData("api/audit/proofs/consistency?from=1&to=abc", HttpStatusCode.BadRequest)]
    public async Task A_tile_or_proof_the_tree_does_not_have_is_a_problem_not_a_failure(string path, HttpStatusCode expected)
    {
        using var compliance = await system.ClientForAsync("compliance1");

        using var response = await compliance.GetAsync(path);

        Assert.Equal(expected, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Theory]
    [InlineData("api/audit/checkpoint")]
    [InlineData("api/audit/tile/0/000.p/1")]
    [InlineData("api/audit/tile/entries/000.p/1")]
    [InlineData("api/audit/proofs/inclusion?seq=1")]
    public async Task Only_compliance_and_admin_read_the_tree(string path)
    {
        using var officer = await system.ClientForAsync("officer1");
        using var anonymous = system.Client();

        Assert.Equal(HttpStatusCode.Forbidden, (await officer.GetAsync(path)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync(path)).StatusCode);
    }

    /// <summary>Waits for a checkpoint of at least <paramref name="atLeast"/> entries, signed by the log and cosigned by the witness; its size, root and note.</summary>
    private async Task<(long Size, byte[] Root, string Note)> WitnessedCheckpointAsync(HttpClient compliance, long atLeast, TimeSpan? within = null)
    {
        Assert.True(SignedNote.TryParseVerifierKey(system.LogKey, out var logKey));
        Assert.True(SignedNote.TryParseVerifierKey(system.WitnessKey, out var witnessKey));
        var found = await Eventually.Async(async () =>
        {
            using var response = await compliance.GetAsync("api/audit/checkpoint");
            if (!response.IsSuccessStatusCode)
            {
                return null;
            }

            Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
            var note = await response.Content.ReadAsStringAsync();
            Assert.True(SignedNote.TryParse(note, out var body, out var signatures), note);
            Assert.True(SignedNote.TryReadCheckpoint(body, out var origin, out var size, out var root), body);
            Assert.Equal(BodyCamSystem.LogOrigin, origin);
            Assert.Contains(signatures, s => SignedNote.Verifies(body, s, logKey));
            return size >= atLeast && signatures.Any(s => SignedNote.Verifies(body, s, witnessKey)) ? Tuple.Create(size, root, note) : null;
        }, within ?? TimeSpan.FromSeconds(30), $"a checkpoint of {atLeast} entries or more, cosigned by the witness");
        return (found.Item1, found.Item2, found.Item3);
    }

    private static List<byte[]> Bundled(byte[] bundle)
    {
        var entries = new List<byte[]>();
        for (var at = 0; at < bundle.Length;)
        {
            var length = BinaryPrimitives.ReadUInt16BigEndian(bundle.AsSpan(at));
            entries.Add(bundle[(at + 2)..(at + 2 + length)]);
            at += 2 + length;
        }

        Assert.All(entries, e => Assert.StartsWith("[", Encoding.UTF8.GetString(e), StringComparison.Ordinal));
        return entries;
    }

    private static byte[] Subtree(byte[][] leaves, int level, long index) =>
        level == 0 ? leaves[index] : Merkle.Node(Subtree(leaves, level - 1, 2 * index), Subtree(leaves, level - 1, 2 * index + 1));

    private static List<byte[]> Hashes(JsonElement proof) =>
        [.. proof.GetProperty("hashes").EnumerateArray().Select(h => Convert.FromBase64String(h.GetString()!))];
}
