using System.Net;

namespace BodyCam.Gateway.Proxy;

/// <summary>
/// A camera's live push goes on to streaming as it arrives. YARP copies a request body into the
/// outgoing connection's write buffer and flushes it only when the buffer fills (it flushes as it goes
/// only for gRPC): a camera on a slow link, or the small init segment that starts every push, would
/// wait there for kilobytes that come later. The push route's body is flushed after every write.
/// </summary>
public static class LivePushFlushing
{
    /// <summary>
    /// YARP does not let a transform replace the outgoing body, so the flushing is done one step later,
    /// in the streaming cluster's client handler (<see cref="LostNodes"/> builds it), for a camera's push only.
    /// </summary>
    public static HttpMessageHandler Wrap(HttpMessageHandler handler) => new FlushingHandler(handler);

    internal static bool IsLivePush(HttpRequestMessage request) =>
        request.Method == HttpMethod.Post
        && request.RequestUri?.AbsolutePath is { } path
        && path.StartsWith("/api/streaming/cameras/", StringComparison.Ordinal)
        && path.EndsWith("/live", StringComparison.Ordinal);

    private sealed class FlushingHandler(HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.Content is { } content && IsLivePush(request))
            {
                request.Content = new FlushingContent(content);
            }

            return base.SendAsync(request, cancellationToken);
        }
    }

    private sealed class FlushingContent : HttpContent
    {
        private readonly HttpContent _inner;

        public FlushingContent(HttpContent inner)
        {
            _inner = inner;
            foreach (var header in inner.Headers)
            {
                Headers.TryAddWithoutValidation(header.Key, header.Value);
            }
        }

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            _inner.CopyToAsync(new FlushingStream(stream), context);

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken) =>
            _inner.CopyToAsync(new FlushingStream(stream), context, cancellationToken);

        // The inner content's headers, never our own: reading our ContentLength asks this very method.
        protected override bool TryComputeLength(out long length)
        {
            length = _inner.Headers.ContentLength ?? 0;
            return _inner.Headers.ContentLength is not null;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }

    private sealed class FlushingStream(Stream inner) : Stream
    {
        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await inner.WriteAsync(buffer, cancellationToken);
            await inner.FlushAsync(cancellationToken);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Write(byte[] buffer, int offset, int count)
        {
            inner.Write(buffer, offset, count);
            inner.Flush();
        }

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        public override void Flush() => inner.Flush();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
