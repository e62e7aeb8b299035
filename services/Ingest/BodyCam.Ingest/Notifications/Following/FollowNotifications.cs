using System.Net.ServerSentEvents;
using BodyCam.Contracts.Access;
using BodyCam.Contracts.Streaming;
using BodyCam.Contracts.Cameras;
using BodyCam.Ingest.Devices;
using BodyCam.ServiceDefaults;
using BodyCam.ServiceDefaults.Security;
using MassTransit;

namespace BodyCam.Ingest.Notifications.Following;

/// <summary>
/// <c>GET /api/ingest/cameras/{cameraId}/notifications</c> (the camera's device token): server-sent
/// events telling the wearer who started or stopped watching, when Watch Me was acknowledged, what a
/// viewer instructs (<c>instruction</c>, acknowledged at streaming's <c>…/messages/{id}/ack</c>) and
/// which moments a viewer marked (<c>bookmark</c>). A feed that was down misses what happened meanwhile:
/// a camera reads its unacknowledged instructions from <c>GET /api/streaming/cameras/{cameraId}/messages?state=sent</c>.
/// </summary>
public static class FollowNotifications
{
    public static RouteHandlerBuilder MapFollowNotifications(this RouteGroupBuilder cameras) =>
        cameras.MapGet("/{cameraId}/notifications", HandleAsync)
            .RequireRoles(Roles.Device)
            .WithName("FollowNotifications")
            .WithSummary("Server-sent events for the wearer: viewers joining and leaving, Watch Me acknowledged, instructions and bookmarks from viewers.");

    private static async Task<IResult> HandleAsync(
        string cameraId, HttpContext http, DeviceNotifications notifications, AccessRefusals refusals, CancellationToken cancellationToken)
    {
        if (await DeviceAccess.RefuseUnlessOwnCameraAsync(http, cameraId, refusals) is { } refused)
        {
            return refused;
        }

        var items = notifications.FollowAsync(cameraId, cancellationToken)
            .Select(n => new SseItem<DeviceNotification>(n, n.Type));
        return TypedResults.ServerSentEvents(items);
    }
}

/// <summary>
/// Relays the facts a wearer is told about to the cameras connected to this instance. Every ingest
/// instance has its own temporary queue, so a camera hears them whichever instance it is connected to.
/// </summary>
public sealed class NotificationRelay(DeviceNotifications notifications) :
    IConsumer<WatchMeAcknowledged>, IConsumer<ViewRequestDecided>, IConsumer<ViewRequestApproved>, IConsumer<GrantRevoked>, IConsumer<GrantExpired>,
    IConsumer<ViewerSessionStarted>, IConsumer<ViewerSessionEnded>, IConsumer<InstructionSent>, IConsumer<BookmarkMarked>,
    IConsumer<TalkSessionStarted>, IConsumer<TalkSessionEnded>
{
    public Task Consume(ConsumeContext<WatchMeAcknowledged> context)
    {
        var m = context.Message;
        notifications.Notify(new DeviceNotification("watch-me-acknowledged", m.CameraId, m.ActorId, m.OccurredAt, m.Note));
        return Task.CompletedTask;
    }

    public Task Consume(ConsumeContext<ViewRequestDecided> context)
    {
        var m = context.Message;
        if (m is { Decision: "granted", CameraId: { } camera })
        {
            notifications.Notify(new DeviceNotification("watch-granted", camera, m.ActorId, m.OccurredAt, null, m.ViewerId, m.ViewerRole, m.Purpose));
        }

        return Task.CompletedTask;
    }

    public Task Consume(ConsumeContext<ViewRequestApproved> context)
    {
        var m = context.Message;
        notifications.Notify(new DeviceNotification("watch-granted", m.CameraId, m.ActorId, m.OccurredAt, m.Note, m.ViewerId, m.ViewerRole, m.Purpose));
        return Task.CompletedTask;
    }

    public Task Consume(ConsumeContext<GrantRevoked> context)
    {
        var m = context.Message;
        notifications.Notify(new DeviceNotification("watch-ended", m.CameraId, m.ActorId, m.OccurredAt, m.Reason, m.ViewerId));
        return Task.CompletedTask;
    }

    public Task Consume(ConsumeContext<GrantExpired> context)
    {
        var m = context.Message;
        notifications.Notify(new DeviceNotification("watch-ended", m.CameraId, m.ActorId, m.OccurredAt, "expired", m.ViewerId));
        return Task.CompletedTask;
    }

    /// <summary>Someone with a grant is now actually watching: the wearer is told who.</summary>
    public Task Consume(ConsumeContext<ViewerSessionStarted> context)
    {
        var m = context.Message;
        notifications.Notify(new DeviceNotification("viewer-joined", m.CameraId, m.ActorId, m.OccurredAt, null, m.ViewerId));
        return Task.CompletedTask;
    }

    /// <summary>A viewer stopped watching; the note says why (left, cut off, grant ended).</summary>
    public Task Consume(ConsumeContext<ViewerSessionEnded> context)
    {
        var m = context.Message;
        notifications.Notify(new DeviceNotification("viewer-left", m.CameraId, m.ActorId, m.OccurredAt, m.Reason, m.ViewerId));
        return Task.CompletedTask;
    }

    /// <summary>A viewer tells the wearer what to do; the camera shows it and acknowledges it by its id.</summary>
    public Task Consume(ConsumeContext<InstructionSent> context)
    {
        var m = context.Message;
        notifications.Notify(new DeviceNotification("instruction", m.CameraId, m.ActorId, m.OccurredAt, m.Text, m.ViewerId, Id: m.InstructionId));
        return Task.CompletedTask;
    }

    /// <summary>A viewer marked a moment: the camera can mark its own evidential recording there.</summary>
    public Task Consume(ConsumeContext<BookmarkMarked> context)
    {
        var m = context.Message;
        notifications.Notify(new DeviceNotification("bookmark", m.CameraId, m.ActorId, m.OccurredAt, m.Note, m.ViewerId, Id: m.BookmarkId, Moment: m.Moment));
        return Task.CompletedTask;
    }

    /// <summary>A viewer opened a talk: the camera opens its talk channel (<c>GET /api/streaming/cameras/{cameraId}/talk</c>) if it is not open.</summary>
    public Task Consume(ConsumeContext<TalkSessionStarted> context)
    {
        var m = context.Message;
        notifications.Notify(new DeviceNotification("talk-started", m.CameraId, m.ActorId, m.OccurredAt, null, m.ViewerId, Id: m.TalkId));
        return Task.CompletedTask;
    }

    public Task Consume(ConsumeContext<TalkSessionEnded> context)
    {
        var m = context.Message;
        notifications.Notify(new DeviceNotification("talk-ended", m.CameraId, m.ActorId, m.OccurredAt, m.Reason, m.ViewerId, Id: m.TalkId));
        return Task.CompletedTask;
    }
}
