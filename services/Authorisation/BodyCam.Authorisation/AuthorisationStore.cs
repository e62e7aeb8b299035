using BodyCam.Authorisation.Cameras;
using BodyCam.Authorisation.Grants;
using BodyCam.Authorisation.Policy;
using JasperFx.Events.Projections;
using Marten;

namespace BodyCam.Authorisation;

/// <summary>What authorisation keeps in its event store: grants projected inline, the cameras it may be asked about, the policies it has used.</summary>
public static class AuthorisationStore
{
    public static void Configure(StoreOptions options)
    {
        options.Projections.Snapshot<ViewGrant>(SnapshotLifecycle.Inline);
        // The state is indexed in the document (data->>'state'), not duplicated into a column: Marten
        // fills a duplicated enum column with the member's C# name, the JSON with its stored name ("active").
        options.Schema.For<ViewGrant>()
            .Index(g => g.State)
            .Duplicate(g => g.ViewerId)
            .Duplicate(g => g.CameraId);
        options.Schema.For<WatchableCamera>().Duplicate(c => c.WearerId);
        // Two instances seeing a new policy version at once record it once: the second's write fails and finds it recorded.
        options.Schema.For<RecordedPolicy>().UseOptimisticConcurrency(true);
    }
}
