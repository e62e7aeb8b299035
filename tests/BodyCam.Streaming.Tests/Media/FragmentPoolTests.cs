using BodyCam.Streaming.Media;
using CsCheck;
using Xunit;

namespace BodyCam.Streaming.Tests.Media;

public sealed class FragmentPoolTests
{
    [Fact]
    public void A_returned_buffer_is_reused_for_the_next_fragment_of_its_size()
    {
        var pool = new BoundedBufferPool(16 * 1024 * 1024, retainBytes: 1024 * 1024);
        var first = pool.Rent(50_000);

        pool.Return(first);

        Assert.Same(first, pool.Rent(52_000));
        // A quarter step above 32 KiB: 56 KiB, not the 64 a power of two would take.
        Assert.Equal(57_344, first.Length);
    }

    [Fact]
    public void A_kept_buffer_up_to_twice_the_size_is_reused_before_a_new_one_is_made()
    {
        var pool = new BoundedBufferPool(16 * 1024 * 1024, retainBytes: 1024 * 1024);
        var keyframe = pool.Rent(100_000);
        pool.Return(keyframe);

        Assert.NotSame(keyframe, pool.Rent(40_000));   // more than twice the size: kept for a larger fragment
        Assert.Same(keyframe, pool.Rent(60_000));
    }

    [Fact]
    public void Every_size_gets_a_buffer_at_most_a_quarter_larger_and_each_class_is_its_own()
    {
        var largest = 16 * 1024 * 1024;
        Gen.Int[1, largest].Sample(length =>
        {
            var size = BoundedBufferPool.SizeOf(BoundedBufferPool.BucketOf(length));
            Assert.InRange(size, length, Math.Max(4096, length + (length / 4) + 1));
            Assert.Equal(BoundedBufferPool.BucketOf(length), BoundedBufferPool.BucketOf(size));
        }, iter: 20_000);

        for (var bucket = 0; bucket <= BoundedBufferPool.BucketOf(largest); bucket++)
        {
            Assert.Equal(bucket, BoundedBufferPool.BucketOf(BoundedBufferPool.SizeOf(bucket)));
            Assert.Equal(bucket + 1, BoundedBufferPool.BucketOf(BoundedBufferPool.SizeOf(bucket) + 1));
        }
    }

    [Fact]
    public void The_pool_keeps_no_more_than_its_bound_and_gives_everything_back_when_trimmed()
    {
        var pool = new BoundedBufferPool(16 * 1024 * 1024, retainBytes: 64 * 1024 * 1024);
        var burst = Enumerable.Range(0, 20).Select(_ => pool.Rent(16 * 1024 * 1024)).ToList();

        foreach (var buffer in burst)
        {
            pool.Return(buffer);
        }

        Assert.Equal(64L * 1024 * 1024, pool.Retained);
        pool.Trim();
        Assert.Equal(0, pool.Retained);
    }

    [Fact]
    public void A_buffer_the_pool_did_not_make_is_not_kept()
    {
        var pool = new BoundedBufferPool(16 * 1024 * 1024, retainBytes: 1024 * 1024);

        pool.Return(new byte[50_000]);

        Assert.Equal(0, pool.Retained);
    }
}
