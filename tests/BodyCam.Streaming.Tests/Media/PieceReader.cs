using System.Buffers;
using System.IO.Pipelines;

namespace BodyCam.Streaming.Tests.Media;

/// <summary>
/// A request body as a network delivers it: the next piece arrives only once the reader has looked at
/// everything it has (as a socket's next read does), so a reader is really made to work on partial boxes.
/// </summary>
public sealed class PieceReader(byte[] body, Func<int, int> pieceSize) : PipeReader
{
    private int _consumed;
    private int _examined;
    private int _delivered;
    private int _pieces;

    public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
    {
        _consumed = consumed.GetInteger();
        _examined = Math.Max(_examined, examined.GetInteger());
    }

    public override bool TryRead(out ReadResult result)
    {
        if (_examined >= _delivered && _delivered < body.Length)
        {
            _delivered += Math.Clamp(pieceSize(_pieces++), 1, body.Length - _delivered);
        }

        result = new ReadResult(new ReadOnlySequence<byte>(body, _consumed, _delivered - _consumed), isCanceled: false, isCompleted: _delivered == body.Length);
        return true;
    }

    public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        TryRead(out var result);
        return ValueTask.FromResult(result);
    }

    public override void CancelPendingRead()
    {
    }

    public override void Complete(Exception? exception = null)
    {
    }
}
