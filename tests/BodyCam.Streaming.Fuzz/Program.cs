using System.Buffers;
using System.IO.Pipelines;
using BodyCam.Streaming.Media;
using SharpFuzz;

// afl-fuzz hands each input over standard input. The first byte chooses how the rest arrives: whole,
// or in pieces of 1 to 255 bytes, each handed out only once the reader has looked at everything it had
// (as a socket's next read is). A refusal of the media is the expected end of a bad input; any other
// exception is a crash, and a run past afl-fuzz's time limit a hang.
Fuzzer.OutOfProcess.Run(stream =>
{
    using var memory = new MemoryStream();
    stream.CopyTo(memory);
    var input = memory.ToArray();
    if (input.Length < 2)
    {
        return;
    }

    var piece = input[0];
    var body = input[1..];
    var reader = new PushReader(piece == 0 ? Whole(body) : new Pieces(body, piece), 16 * 1024 * 1024);
    try
    {
        var init = reader.ReadInitAsync(CancellationToken.None).GetAwaiter().GetResult();
        var timeline = new Timeline();
        while (reader.ReadFragmentAsync(init, timeline, CancellationToken.None).GetAwaiter().GetResult() is { } fragment)
        {
            fragment.Release();
        }
    }
    catch (MediaRejectedException)
    {
    }
});

static PipeReader Whole(byte[] body) => PipeReader.Create(new ReadOnlySequence<byte>(body));

/// <summary>A body delivered a piece at a time: the next piece only once the reader examined all it had.</summary>
internal sealed class Pieces(byte[] body, int size) : PipeReader
{
    private int _consumed;
    private int _examined;
    private int _delivered;

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
            _delivered += Math.Min(size, body.Length - _delivered);
        }

        result = new ReadResult(new ReadOnlySequence<byte>(body, _consumed, _delivered - _consumed), false, _delivered == body.Length);
        return true;
    }

    public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
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
