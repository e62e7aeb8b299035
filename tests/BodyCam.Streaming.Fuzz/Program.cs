using System.Buffers;
using System.IO.Pipelines;
using BodyCam.Streaming.Media;
using BodyCam.Streaming.Tests.Media;
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
    var reader = new PushReader(piece == 0 ? Whole(body) : new PieceReader(body, _ => piece), 16 * 1024 * 1024);
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
