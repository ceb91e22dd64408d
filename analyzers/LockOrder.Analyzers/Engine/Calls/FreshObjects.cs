using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using LockOrder.Engine.Flow;
using LockOrder.Engine.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace LockOrder.Engine.Calls;

/// <summary>
/// What an object the calling body has just created (a fresh object, see <see cref="LockPlace.Fresh"/>) leaves null.
/// A reference-typed field or auto-property without an initializer is null on a new object until something stores
/// a value in it. If nothing does in the code that can run on the object before or during the call (its
/// constructors, the object initializer, and the methods the body calls on it, with everything they call, as deep
/// as the summaries follow), then whatever is reached only through that member does not happen on it: Npgsql's
/// cancel connector is a new connector whose <c>Cleanup</c> disposes a current copy operation it never has.
/// A store of a constant null counts as none; any other store anywhere in that code, to any object's member of
/// that name, counts (the object may be passed along and filled in).
/// </summary>
internal sealed class FreshObjects
{
    private readonly LockModel _model;
    private readonly CallGraph _graph;

    // The members stored non-null by the code that can run on one fresh object: keyed by its local (or, for a
    // constructor call, its type), per compilation.
    private readonly ConcurrentDictionary<ISymbol, ImmutableHashSet<ISymbol>?> _storedOnLocal = new(SymbolEqualityComparer.Default);
    private readonly ConcurrentDictionary<ISymbol, ImmutableHashSet<ISymbol>> _storedByConstructors = new(SymbolEqualityComparer.Default);

    // The members each member body (with its lambdas and local functions) stores a value that may not be null into.
    private readonly ConcurrentDictionary<IMethodSymbol, ImmutableHashSet<ISymbol>> _stores = new(SymbolEqualityComparer.Default);

    public FreshObjects(LockModel model, CallGraph graph)
    {
        _model = model;
        _graph = graph;
    }

    /// <summary>Whether every one of <paramref name="members"/> is null on the fresh object <paramref name="call"/>
    /// is made on, for as long as the code the caller runs on it can tell.</summary>
    public bool AllNull(ImmutableHashSet<ISymbol> members, CallFact call, BodyFacts caller, CancellationToken cancellationToken)
    {
        if (!members.All(NullUntilStored))
        {
            return false;
        }

        ImmutableHashSet<ISymbol>? stored = null;
        if (call.Objects.Receiver is AccessPath.Local local)
        {
            stored = _storedOnLocal.GetOrAdd(local.Symbol, _ => StoredOnLocal(local, caller, cancellationToken));
        }
        else if (call.Dispatch == Dispatch.Creation && call.Target is { MethodKind: MethodKind.Constructor } constructor)
        {
            stored = _storedByConstructors.GetOrAdd(constructor.ContainingType, t => Closure(Constructors((INamedTypeSymbol)t), cancellationToken));
        }

        return stored is not null && !members.Any(m => stored.Contains(m));
    }

    /// <summary>A reference-typed instance field or auto-property declared in source without an initializer.</summary>
    private static bool NullUntilStored(ISymbol member)
    {
        var type = member switch
        {
            IFieldSymbol { IsStatic: false, IsConst: false } field => field.Type,
            IPropertySymbol { IsStatic: false } property when IsAutoProperty(property) => property.Type,
            _ => null,
        };
        if (type is not { IsReferenceType: true } || member.DeclaringSyntaxReferences.IsEmpty)
        {
            return false;
        }

        return member.DeclaringSyntaxReferences.All(reference => reference.GetSyntax() switch
        {
            VariableDeclaratorSyntax declarator => declarator.Initializer is null,
            PropertyDeclarationSyntax property => property.Initializer is null,
            _ => false,
        });
    }

    private static bool IsAutoProperty(IPropertySymbol property)
        => property.ContainingType.GetMembers().OfType<IFieldSymbol>().Any(f => SymbolEqualityComparer.Default.Equals(f.AssociatedSymbol, property));

    /// <summary>What the constructors of the fresh object's type, the caller's stores on the object, and the methods
    /// the caller calls on it (with their callees) store.</summary>
    private ImmutableHashSet<ISymbol>? StoredOnLocal(AccessPath.Local local, BodyFacts caller, CancellationToken cancellationToken)
    {
        if (caller.Stores is not { } stores || stores.CreatedType(local.Symbol) is not { } type)
        {
            // Not known what was created (a lambda's body, which this does not look into): nothing is known null.
            return null;
        }

        var roots = Constructors(type).ToList();
        foreach (var call in caller.Calls)
        {
            if (Equals(call.Objects.Receiver, local))
            {
                roots.AddRange(_graph.Candidates(call).Select(c => c.Method));
            }
        }

        var stored = Closure(roots, cancellationToken).ToBuilder();

        // Object initializers ({ F = x }) and stores through the local itself (local.F = x).
        foreach (var member in stores.StoredOn(local.Symbol))
        {
            stored.Add(member);
        }

        return stored.ToImmutable();
    }

    private static IEnumerable<IMethodSymbol> Constructors(INamedTypeSymbol type)
    {
        for (var t = type; t is not null; t = t.BaseType)
        {
            foreach (var constructor in t.InstanceConstructors)
            {
                yield return constructor;
            }
        }
    }

    /// <summary>What the given methods and everything they call, as deep as the summaries follow, store.</summary>
    private ImmutableHashSet<ISymbol> Closure(IEnumerable<IMethodSymbol> roots, CancellationToken cancellationToken)
    {
        var stored = ImmutableHashSet.CreateBuilder<ISymbol>(SymbolEqualityComparer.Default);
        var seen = new HashSet<IMethodSymbol>(SymbolEqualityComparer.Default);
        var frontier = roots.Where(HasBody).Select(MethodKey.Of).Where(seen.Add).ToList();
        for (int depth = 1; depth <= _model.MaxCallDepth && frontier.Count > 0; depth++)
        {
            var next = new List<IMethodSymbol>();
            foreach (var method in frontier)
            {
                cancellationToken.ThrowIfCancellationRequested();
                stored.UnionWith(StoresOf(method, cancellationToken));
                if (_model.BodyOf(method, cancellationToken) is { } body)
                {
                    next.AddRange(body.Calls.SelectMany(_graph.Candidates).Select(c => c.Method).Where(HasBody).Select(MethodKey.Of).Where(seen.Add));
                }
            }

            frontier = next;
        }

        return stored.ToImmutable();
    }

    /// <summary>The members a method stores into, on any object (for a lambda or local function: its containing
    /// member's, which include its own).</summary>
    private ImmutableHashSet<ISymbol> StoresOf(IMethodSymbol method, CancellationToken cancellationToken)
    {
        ISymbol container = method;
        while (container is IMethodSymbol { MethodKind: MethodKind.AnonymousFunction or MethodKind.LocalFunction } nested)
        {
            container = nested.ContainingSymbol;
        }

        if (container is not IMethodSymbol member)
        {
            return ImmutableHashSet<ISymbol>.Empty;
        }

        return _stores.GetOrAdd(MethodKey.Of(member), m => _model.BodyOf(m, cancellationToken)?.Stores is { } stores
            ? stores.Stores.Select(s => s.Member).ToImmutableHashSet(SymbolEqualityComparer.Default)
            : ImmutableHashSet<ISymbol>.Empty);
    }

    private bool HasBody(IMethodSymbol method) => MethodKey.HasBody(method, _model.Compilation);
}
