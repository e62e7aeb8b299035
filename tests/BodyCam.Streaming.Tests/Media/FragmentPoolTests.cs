using BodyCam.Streaming.Media;
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

        Assert.Same(first, pool.Rent(40_000));
        Assert.Equal(65_536, first.Length);
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
