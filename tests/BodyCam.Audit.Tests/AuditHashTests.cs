using BodyCam.Audit.Chain;
using Xunit;

namespace BodyCam.Audit.Tests;

public sealed class AuditHashTests
{
    private static readonly DateTimeOffset At = new(2026, 11, 25, 9, 30, 0, TimeSpan.Zero);
    private static readonly Guid MessageId = Guid.Parse("0196f6a0-0000-7000-8000-000000000001");
    private const string Data = """{"cameraId":"CAM-1","model":"Axon"}""";

    private static string Hash(long seq = 1, string prev = AuditHash.Genesis, DateTimeOffset? at = null, string type = "CameraRegistered",
        Guid? messageId = null, string actor = "admin", string subject = "CAM-1", string data = Data) =>
        AuditHash.Compute(seq, prev, at ?? At, type, messageId ?? MessageId, actor, subject, data);

    [Fact]
    public void The_same_entry_always_hashes_the_same()
    {
        Assert.Equal(Hash(), Hash());
        Assert.Matches("^[0-9a-f]{64}$", Hash());
    }

    [Fact]
    public void The_hash_is_SHA256_of_the_documented_canonical_form()
    {
        var canonical = """[1,"0000000000000000000000000000000000000000000000000000000000000000","2026-11-25T09:30:00.0000000Z","CameraRegistered","0196f6a0-0000-7000-8000-000000000001","admin","CAM-1","{\u0022cameraId\u0022:\u0022CAM-1\u0022,\u0022model\u0022:\u0022Axon\u0022}"]""";
        var expected = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(canonical)));

        Assert.Equal(expected, Hash());
    }

    [Fact]
    public void The_leaf_hash_is_the_RFC_9162_leaf_over_the_same_canonical_bytes_in_base64()
    {
        var canonical = """[1,"0000000000000000000000000000000000000000000000000000000000000000","2026-11-25T09:30:00.0000000Z","CameraRegistered","0196f6a0-0000-7000-8000-000000000001","admin","CAM-1","{\u0022cameraId\u0022:\u0022CAM-1\u0022,\u0022model\u0022:\u0022Axon\u0022}"]""";
        byte[] leafInput = [0x00, .. System.Text.Encoding.UTF8.GetBytes(canonical)];
        var expected = Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData(leafInput));

        Assert.Equal(expected, AuditHash.LeafHash(1, AuditHash.Genesis, At, "CameraRegistered", MessageId, "admin", "CAM-1", Data));
        Assert.Equal(expected, Convert.ToBase64String(BodyCam.Audit.Tree.Merkle.Leaf(AuditHash.Canonical(1, AuditHash.Genesis, At, "CameraRegistered", MessageId, "admin", "CAM-1", Data))));
    }

    [Fact]
    public void Changing_any_part_of_an_entry_changes_its_hash()
    {
        var original = Hash();
        string[] changed =
        [
            Hash(seq: 2),
            Hash(prev: new string('1', 64)),
            Hash(at: At.AddTicks(1)),
            Hash(type: "CameraDocked"),
            Hash(messageId: Guid.NewGuid()),
            Hash(actor: "admin2"),
            Hash(subject: "CAM-2"),
            Hash(data: Data.Replace("Axon", "Axom", StringComparison.Ordinal)),
        ];

        Assert.All(changed, h => Assert.NotEqual(original, h));
        Assert.Equal(changed.Length, changed.Distinct().Count());
    }

    [Fact]
    public void The_same_instant_in_another_offset_hashes_the_same()
    {
        Assert.Equal(Hash(), Hash(at: At.ToOffset(TimeSpan.FromHours(2))));
    }
}
