using System.Collections.Concurrent;
using System.Reflection;
using Marten;

namespace BodyCam.ServiceDefaults.Messaging;

/// <summary>A Marten document by type and id: what a fact's handler loads first.</summary>
public readonly record struct DocumentKey(Type Type, string Id)
{
    private static readonly MethodInfo LoadMany = typeof(DocumentKey).GetMethod(nameof(LoadManyOf), BindingFlags.NonPublic | BindingFlags.Static)!;
    private static readonly ConcurrentDictionary<Type, Func<IDocumentSession, string[], CancellationToken, Task>> Loaders = new();

    public static DocumentKey Of<TDocument>(string id) => new(typeof(TDocument), id);

    /// <summary>Loads every document of <paramref name="type"/> with these ids into the session in one query.</summary>
    public static Task LoadManyAsync(IDocumentSession session, Type type, string[] ids, CancellationToken cancellationToken) =>
        Loaders.GetOrAdd(type, t => LoadMany.MakeGenericMethod(t).CreateDelegate<Func<IDocumentSession, string[], CancellationToken, Task>>())(session, ids, cancellationToken);

    private static Task LoadManyOf<TDocument>(IDocumentSession session, string[] ids, CancellationToken cancellationToken)
        where TDocument : notnull =>
        session.LoadManyAsync<TDocument>(cancellationToken, ids);
}
