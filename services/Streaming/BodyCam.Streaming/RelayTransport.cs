using System.Buffers;
using System.Collections.Concurrent;
using Microsoft.AspNetCore.Connections;

namespace BodyCam.Streaming;

/// <summary>
/// Kestrel's transport set for a relay rather than for forms and JSON. Kestrel reads a connection
/// into blocks of its memory pool, 4 KiB each, after a one-byte peek to see that data is there: a
/// camera's 50 KB fragment took 26 <c>recv</c> calls and as many pipe hand-offs (measured with
/// strace). Blocks of 64 KiB read a fragment in one or two; the peek stays, so an idle connection
/// holds no block. Viewers' frames do not pass through Kestrel's output at all (see
/// <see cref="Viewing.LiveSocket"/>).
/// </summary>
public static class RelayTransport
{
    public static WebApplicationBuilder AddRelayTransport(this WebApplicationBuilder builder)
    {
        var blockBytes = builder.Configuration.GetValue("Streaming:ReadBlockBytes", 64 * 1024);
        var retainBlocks = builder.Configuration.GetValue("Streaming:RetainReadBlocks", 256);
        builder.Services.AddSingleton<IMemoryPoolFactory<byte>>(new LargeBlockPoolFactory(blockBytes, retainBlocks));
        return builder;
    }
}

/// <summary>Makes the pools Kestrel's connections read into and write from.</summary>
internal sealed class LargeBlockPoolFactory(int blockBytes, int retainBlocks) : IMemoryPoolFactory<byte>
{
    public MemoryPool<byte> Create(MemoryPoolOptions? options = null) => new LargeBlockPool(blockBytes, retainBlocks);
}

/// <summary>
/// Fixed-size pinned blocks (the socket reads straight into them), kept for reuse up to a bound and
/// otherwise left to the collector, so a burst of connections is not hoarded.
/// </summary>
internal sealed class LargeBlockPool(int blockBytes, int retainBlocks) : MemoryPool<byte>
{
    private readonly ConcurrentQueue<Block> _kept = new();
    private int _keptCount;
    private bool _disposed;

    public override int MaxBufferSize => blockBytes;

    public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minBufferSize, blockBytes);
        if (_kept.TryDequeue(out var block))
        {
            Interlocked.Decrement(ref _keptCount);
            return block;
        }

        return new Block(this, blockBytes);
    }

    private void Return(Block block)
    {
        if (_disposed || Interlocked.Increment(ref _keptCount) > retainBlocks)
        {
            Interlocked.Decrement(ref _keptCount);
            return;
        }

        _kept.Enqueue(block);
    }

    protected override void Dispose(bool disposing)
    {
        _disposed = true;
        _kept.Clear();
    }

    private sealed class Block(LargeBlockPool pool, int size) : IMemoryOwner<byte>
    {
        public Memory<byte> Memory { get; } = GC.AllocateUninitializedArray<byte>(size, pinned: true);

        public void Dispose() => pool.Return(this);
    }
}
