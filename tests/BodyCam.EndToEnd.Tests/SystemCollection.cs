using BodyCam.Testing;
using Xunit;

namespace BodyCam.EndToEnd.Tests;

/// <summary>One running system for every test here; the tests run one after another against it.</summary>
[CollectionDefinition(Name)]
public sealed class SystemCollection : ICollectionFixture<BodyCamSystem>
{
    public const string Name = "system";
}
