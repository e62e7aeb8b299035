using BodyCam.Streaming.Viewing;
using Xunit;

namespace BodyCam.Streaming.Tests.Live;

public sealed class WebSocketFrameTests
{
    [Theory]
    [InlineData(0, new byte[] { 0x82, 0 })]
    [InlineData(125, new byte[] { 0x82, 125 })]
    [InlineData(126, new byte[] { 0x82, 126, 0, 126 })]
    [InlineData(65_535, new byte[] { 0x82, 126, 0xFF, 0xFF })]
    [InlineData(65_536, new byte[] { 0x82, 127, 0, 0, 0, 0, 0, 1, 0, 0 })]
    public void A_header_written_before_the_payload_ends_where_the_payload_begins(int length, byte[] expected)
    {
        var buffer = new byte[WebSocketFrame.MaxHeaderLength];

        var size = WebSocketFrame.WriteHeaderBefore(buffer, WebSocketFrame.MaxHeaderLength, WebSocketFrame.Binary, length);

        Assert.Equal(expected.Length, size);
        Assert.Equal(expected, buffer[^size..]);
    }
}
