using BodyCam.Contracts.Streaming;
using BodyCam.Streaming.Bookmarks;
using BodyCam.Streaming.Instructions;
using BodyCam.Streaming.Live;
using Xunit;

namespace BodyCam.Streaming.Tests.Supervision;

/// <summary>What a viewer may send the wearer and mark, decided without a clock or a database.</summary>
public sealed class SupervisionDecisionsTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 2, 18, 0, 0, TimeSpan.Zero);
    private static readonly ViewerPass Pass = new("control1", "grant-1", "CAM-1", "officer-safety", Now.AddMinutes(10), "INC-1");

    [Fact]
    public void An_instruction_is_sent_trimmed_under_the_pass_grant_and_incident()
    {
        var (sent, invalid) = Instruction.Send("  Wait for backup\n  ", Pass, "a1", Now, Guid.Empty);
        Assert.Null(invalid);
        Assert.Equal(new InstructionSent("a1", "CAM-1", "control1", "grant-1", "INC-1", "Wait for backup", "control1", Now, Guid.Empty), sent);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData(" \n ")]
    [InlineData("tab\there")]
    [InlineData("escape\u001b[2J")]
    public void Empty_text_and_control_characters_are_refused(string? text) =>
        Assert.Null(Instruction.Send(text, Pass, "a1", Now, Guid.Empty).Sent);

    [Fact]
    public void The_longest_instruction_is_500_characters() =>
        Assert.Equal((true, false), (Instruction.Send(new string('x', 500), Pass, "a", Now, Guid.Empty).Sent is not null,
            Instruction.Send(new string('x', 501), Pass, "a", Now, Guid.Empty).Sent is not null));

    [Fact]
    public void An_instruction_is_acknowledged_once()
    {
        var instruction = new Instruction("instruction-a1", "a1", "CAM-1", "control1", "grant-1", null, "Go", Now);
        var first = instruction.Acknowledge("device-1", Now.AddSeconds(2), Guid.Empty);
        Assert.Equal(new InstructionAcknowledged("a1", "CAM-1", "control1", "grant-1", "device-1", Now.AddSeconds(2), Guid.Empty), first);
        var after = instruction.Apply(first!);
        Assert.Equal("acknowledged", after.State);
        Assert.Null(after.Acknowledge("device-1", Now.AddSeconds(5), Guid.Empty));
    }

    [Theory]
    [InlineData(-599, true)]
    [InlineData(-601, false)]
    [InlineData(4, true)]
    [InlineData(6, false)]
    public void A_bookmark_marks_what_a_live_view_can_have_shown(int secondsFromNow, bool taken) =>
        Assert.Equal(taken, Bookmark.Mark(Now.AddSeconds(secondsFromNow), "note", Pass, "b1", Now, Guid.Empty).Marked is not null);

    [Fact]
    public void A_bookmark_needs_its_moment_and_a_readable_note()
    {
        Assert.Equal("at", Bookmark.Mark(null, "note", Pass, "b1", Now, Guid.Empty).Field);
        Assert.Equal("note", Bookmark.Mark(Now, new string('x', 1001), Pass, "b1", Now, Guid.Empty).Field);
        Assert.Equal("note", Bookmark.Mark(Now, "bell\u0007", Pass, "b1", Now, Guid.Empty).Field);
        var (marked, _, _) = Bookmark.Mark(Now.AddSeconds(-3).ToOffset(TimeSpan.FromHours(1)), null, Pass, "b1", Now, Guid.Empty);
        Assert.Equal(new BookmarkMarked("b1", "CAM-1", "control1", "grant-1", "INC-1", Now.AddSeconds(-3), "", "control1", Now, Guid.Empty), marked);
        Assert.Equal(TimeSpan.Zero, marked!.Moment.Offset);
    }
}
