namespace BodyCam.Audit.Chain;

/// <summary>
/// One link of the audit chain: an integration event as audit received it. <see cref="Id"/> is the
/// sequence number in the chain, from 1. It is stored twice in one transaction: inside the
/// <see cref="ChainLinked"/> event of the chain's Marten stream, and as the document queries read.
/// </summary>
public sealed record AuditEntry(
    long Id,
    DateTimeOffset At,
    DateTimeOffset RecordedAt,
    string Type,
    Guid MessageId,
    string ActorId,
    string Subject,
    string? CameraId,
    string? OfficerId,
    string? ViewerId,
    string? IncidentRef,
    string Data,
    string PrevHash,
    string Hash)
{
    /// <summary>Entries as Marten stores them (camelCase), for code that reads the tables with plain SQL.</summary>
    public static readonly System.Text.Json.JsonSerializerOptions Json = new(System.Text.Json.JsonSerializerDefaults.Web);

    /// <summary>The hash this entry's content should have.</summary>
    public string ComputeHash() => AuditHash.Compute(Id, PrevHash, At, Type, MessageId, ActorId, Subject, Data);

    /// <summary>This entry's leaf hash in the log's Merkle tree (base64), from its canonical bytes (<see cref="AuditHash"/>).</summary>
    public string ComputeLeafHash() => AuditHash.LeafHash(Id, PrevHash, At, Type, MessageId, ActorId, Subject, Data);
}

/// <summary>The event appended to the chain's Marten stream for each entry: the record of truth that verification and rebuilds read.</summary>
public sealed record ChainLinked(AuditEntry Entry);
