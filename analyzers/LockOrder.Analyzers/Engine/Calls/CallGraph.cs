using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using LockOrder.Engine.Flow;
using LockOrder.Engine.Queries;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace LockOrder.Engine.Calls;

/// <summary>A method a call may run, the steps that lead to it from the call site, and, for a delegate passed as an
/// argument, the callee and parameter that must invoke it for it to run.</summary>
internal readonly record struct CalleeCandidate(IMethodSymbol Method, Chain Prefix, IMethodSymbol? RunBy, int RunByOrdinal)
{
    public bool Conditional => RunBy is not null;
}

/// <summary>A callee a call runs, and the steps that lead to it from the call site.</summary>
internal readonly record struct EffectiveCallee(IMethodSymbol Method, Chain Prefix);

/// <summary>
/// Who a call may run, resolved one way for everybody (the summaries, the strongly connected components, the
/// callers index): its target, or every implementation of it for virtual and interface calls; the lambda or method
/// a delegate invocation holds; whatever the compilation stores in an invoked delegate-typed member; and delegates
/// passed as arguments, which run when the callee invokes that parameter.
/// </summary>
internal sealed class CallGraph
{
    private readonly Compilation _compilation;
    private readonly System.Lazy<Dictionary<IMethodSymbol, List<IMethodSymbol>>> _implementations;
    private readonly Subtypes _subtypes;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<IMethodSymbol, List<IMethodSymbol>?> _direct = new(SymbolEqualityComparer.Default);
    private readonly DelegateIndex _delegates;

    private readonly Knowledge.Constructions _constructions;

    public CallGraph(Compilation compilation, Knowledge.Constructions constructions, Knowledge.MethodNames methodNames)
    {
        _compilation = compilation;
        _constructions = constructions;
        _implementations = new System.Lazy<Dictionary<IMethodSymbol, List<IMethodSymbol>>>(BuildImplementations, LazyThreadSafetyMode.ExecutionAndPublication);
        _delegates = new DelegateIndex(compilation, methodNames);
        _subtypes = new Subtypes(compilation);
    }

    /// <summary>Whether the map of every type's overrides and implementations was made (a test hook: not when every
    /// question was about a method of a type of the compilation, answered from its subtypes).</summary>
    internal bool AllTypesWalked => _implementations.IsValueCreated;

    /// <summary>
    /// How a chain names a delegate type: without nullable annotations. The engine may read a body through a model
    /// without nullable analysis (<see cref="ReadingModels"/>), and a type argument inferred there can differ from the
    /// analysed one only in its annotations; the message must not depend on which model read the body.
    /// </summary>
    private static readonly SymbolDisplayFormat DelegateTypeFormat = SymbolDisplayFormat.MinimallyQualifiedFormat
        .RemoveMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);

    /// <summary>Where delegates go (a test hook: which of its questions were asked).</summary>
    internal DelegateIndex Delegates => _delegates;

    /// <summary>Every method a call may run, the delegate arguments among them marked with who must invoke them.</summary>
    public IEnumerable<CalleeCandidate> Candidates(CallFact call)
    {
        if (call.Target is not { } target)
        {
            yield break;
        }

        var site = OperationLocations.Of(call.Syntax);
        if (target.MethodKind == MethodKind.DelegateInvoke)
        {
            if (call.Targets.InvokedDelegate is { } invoked)
            {
                yield return new CalleeCandidate(invoked, Chain.Of(Findings.Display(invoked), site), null, -1);
            }

            if (call.Targets.InvokedMember is { } member)
            {
                foreach (var stored in _delegates.StoredIn(member))
                {
                    yield return new CalleeCandidate(stored.Method, Chain.Of(member.ContainingType.Name + "." + member.Name, site).Then(Findings.Display(stored.Method), stored.Where), null, -1);
                }
            }

            if (call.Targets.InvokedByType is { } delegateType)
            {
                foreach (var stored in _delegates.OfType(delegateType))
                {
                    yield return new CalleeCandidate(stored.Method,
                        Chain.Of(delegateType.ToDisplayString(DelegateTypeFormat) + " (resolved by type)", site).Then(Findings.Display(stored.Method), stored.Where), null, -1);
                }
            }
        }
        else
        {
            foreach (var implementation in Implementations(target, call.Dispatch))
            {
                yield return new CalleeCandidate(implementation, Chain.Of(Findings.Display(implementation), site), null, -1);
            }

            if (call.Targets.ReceiverMember is { } receiver && RunsRegistered(target, receiver))
            {
                foreach (var registered in _delegates.RegisteredOn(receiver))
                {
                    yield return new CalleeCandidate(registered.Method,
                        Chain.Of(Findings.Display(target), site).Then(Findings.Display(registered.Method) + " (" + registered.How + ")", registered.Where), null, -1);
                }
            }
        }

        foreach (var argument in call.Targets.DelegateArguments)
        {
            yield return new CalleeCandidate(argument.Target,
                Chain.Of(Findings.Display(target), site).Then(Findings.Display(argument.Target), OperationLocations.Of(argument.Argument)), target, argument.Ordinal);
        }
    }

    /// <summary>
    /// Completing a TaskCompletionSource runs its task's continuations on the completing thread unless it was made
    /// with RunContinuationsAsynchronously; cancelling a CancellationTokenSource runs the callbacks registered on its
    /// token on the cancelling thread.
    /// </summary>
    private bool RunsRegistered(IMethodSymbol target, ISymbol receiver)
    {
        switch (target.ContainingType)
        {
            case { Name: "TaskCompletionSource", ContainingNamespace: { Name: "Tasks", ContainingNamespace.Name: "Threading" } }
                when target.Name is "SetResult" or "TrySetResult" or "SetException" or "TrySetException" or "SetCanceled" or "TrySetCanceled":
                return _constructions.Of(receiver, CancellationToken.None) is not { } creations
                       || !creations.All(c => c.AnyConstant("creationOptions", options => (options & 64) != 0));
            case { Name: "CancellationTokenSource", ContainingNamespace: { Name: "Threading", ContainingNamespace.Name: "System" } }
                when target.Name is "Cancel":
                return true;
            default:
                return false;
        }
    }

    /// <summary>
    /// The methods a call of <paramref name="target"/> may run, by class hierarchy analysis bounded by the receiver:
    /// a non-virtual call (<c>base.M()</c>, a non-virtual method) runs the target; a virtual call on a receiver of
    /// static class type T runs what T inherits and the overrides in types derived from T (not its siblings); on an
    /// interface, type parameter or unknown receiver, every implementation in the compilation. A call on a
    /// framework type that no type of the compilation derives from runs no source.
    /// </summary>
    public IEnumerable<IMethodSymbol> Implementations(IMethodSymbol target, Dispatch? dispatch = null)
    {
        var key = target.OriginalDefinition;
        bool polymorphic = key.IsVirtual || key.IsAbstract || key.IsOverride || key.ContainingType.TypeKind == TypeKind.Interface;
        if (!polymorphic || dispatch is { IsVirtual: false })
        {
            if (!key.IsAbstract || key.DeclaringSyntaxReferences.Length > 0)
            {
                yield return MethodKey.Of(target);
            }

            yield break;
        }

        // A framework abstraction called on a framework-typed receiver (IDisposable.Dispose on an IDisposable,
        // IDictionary.TryGetValue on an IDictionary, object.ToString on an object): the code at the call names no
        // type of its own, so the call is taken to run the framework's implementation, which is assumed not to lock
        // (as for any method without source), not every implementation the compilation happens to contain.
        if (dispatch is not null && key.DeclaringSyntaxReferences.Length == 0 && !IsSourceType(dispatch.ReceiverType))
        {
            yield break;
        }

        var all = AllImplementations(key, dispatch?.ReceiverType);
        if (dispatch?.ReceiverType is INamedTypeSymbol { TypeKind: TypeKind.Class or TypeKind.Struct } receiver)
        {
            // What the receiver's own type runs (declared there or inherited), then overrides below it.
            var own = OwnImplementation(receiver, key, all);
            if (own is not null && (!own.IsAbstract || own.DeclaringSyntaxReferences.Length > 0))
            {
                yield return MethodKey.Of(own);
            }

            foreach (var implementation in all)
            {
                if (!SymbolEqualityComparer.Default.Equals(implementation, own) && DerivesFrom(implementation.ContainingType, receiver))
                {
                    yield return implementation;
                }
            }

            yield break;
        }

        if (!key.IsAbstract || key.DeclaringSyntaxReferences.Length > 0)
        {
            yield return MethodKey.Of(target);
        }

        // On an interface-typed receiver, only types that implement that interface can be behind it, and what they
        // run: their own methods, or a method they inherit from a base class that does not implement it.
        var face = dispatch?.ReceiverType is INamedTypeSymbol { TypeKind: TypeKind.Interface } i ? i.OriginalDefinition : null;
        var slots = face is null ? null : Slots(face, key);
        foreach (var implementation in all)
        {
            if (face is null || Implements(implementation.ContainingType, face) || slots?.Contains(implementation) == true)
            {
                yield return implementation;
            }
        }
    }

    /// <summary>The methods the types behind an interface <paramref name="face"/> run for <paramref name="method"/>
    /// (an interface member): each subtype's implementation, wherever it is declared; null when the subtypes cannot
    /// be found by name.</summary>
    private HashSet<IMethodSymbol>? Slots(INamedTypeSymbol face, IMethodSymbol method)
    {
        if (method.ContainingType.TypeKind != TypeKind.Interface || _subtypes.Of(face, CancellationToken.None) is not { } subtypes)
        {
            return null;
        }

        return new HashSet<IMethodSymbol>(subtypes.SelectMany(type => InterfaceSlots(type, method)), SymbolEqualityComparer.Default);
    }

    /// <summary>What <paramref name="type"/> runs for the interface member <paramref name="method"/>, once for each
    /// construction of the interface it implements (an implementation of its own, inherited, or a default).</summary>
    private static IEnumerable<IMethodSymbol> InterfaceSlots(INamedTypeSymbol type, IMethodSymbol method)
    {
        var owner = method.ContainingType.OriginalDefinition;
        foreach (var implemented in type.AllInterfaces)
        {
            if (!SymbolEqualityComparer.Default.Equals(implemented.OriginalDefinition, owner))
            {
                continue;
            }

            foreach (var interfaceMethod in implemented.GetMembers(method.Name).OfType<IMethodSymbol>())
            {
                if (SymbolEqualityComparer.Default.Equals(interfaceMethod.OriginalDefinition, method)
                    && type.FindImplementationForInterfaceMember(interfaceMethod) is IMethodSymbol slot)
                {
                    yield return slot.OriginalDefinition;
                }
            }
        }
    }

    private static bool Implements(INamedTypeSymbol type, INamedTypeSymbol face)
        => SymbolEqualityComparer.Default.Equals(type.OriginalDefinition, face)
           || type.AllInterfaces.Any(t => SymbolEqualityComparer.Default.Equals(t.OriginalDefinition, face));

    /// <summary>Every implementation and override of a method in the compilation, transitively: an interface
    /// member's implementation in a base class, and that method's overrides in derived classes. For a method of
    /// another assembly called on a receiver of the compilation's own type, only the types an instance behind that
    /// receiver can have (see <see cref="DirectFor"/>); else all of them.</summary>
    private List<IMethodSymbol> AllImplementations(IMethodSymbol method, ITypeSymbol? receiver = null)
    {
        var result = new List<IMethodSymbol>();
        var seen = new HashSet<IMethodSymbol>(SymbolEqualityComparer.Default);
        var work = new Stack<IMethodSymbol>();
        work.Push(method);
        bool first = true;
        while (work.Count > 0)
        {
            var next = work.Pop();
            var direct = first ? DirectFor(next, receiver) : Direct(next);
            first = false;
            if (direct is null)
            {
                continue;
            }

            foreach (var implementation in direct)
            {
                if (seen.Add(implementation))
                {
                    result.Add(implementation);
                    work.Push(implementation);
                }
            }
        }

        return result;
    }

    /// <summary>The implementation of <paramref name="method"/> that an instance of exactly <paramref name="type"/>
    /// runs: the nearest override up its base chain, or the interface member's implementation.</summary>
    private static IMethodSymbol? OwnImplementation(INamedTypeSymbol type, IMethodSymbol method, List<IMethodSymbol> implementations)
    {
        if (method.ContainingType.TypeKind == TypeKind.Interface)
        {
            // The interface slot maps to a method, which the type itself may override further down.
            if (type.FindImplementationForInterfaceMember(method) is not IMethodSymbol slot)
            {
                return null;
            }

            method = slot.OriginalDefinition;
        }

        for (var t = type.OriginalDefinition; t is not null; t = t.BaseType?.OriginalDefinition)
        {
            if (SymbolEqualityComparer.Default.Equals(t, method.ContainingType.OriginalDefinition))
            {
                return method;
            }

            foreach (var implementation in implementations)
            {
                if (SymbolEqualityComparer.Default.Equals(implementation.ContainingType.OriginalDefinition, t))
                {
                    return implementation;
                }
            }
        }

        return null;
    }

    /// <summary>A type declared in this compilation (a type parameter counts when its constraints name one).</summary>
    private bool IsSourceType(ITypeSymbol? type) => type switch
    {
        null => false,
        ITypeParameterSymbol parameter => parameter.ConstraintTypes.Any(IsSourceType),
        _ => SymbolEqualityComparer.Default.Equals(type.ContainingAssembly, _compilation.Assembly),
    };

    private static bool DerivesFrom(INamedTypeSymbol type, INamedTypeSymbol ancestor)
    {
        var target = ancestor.OriginalDefinition;
        for (var t = type.BaseType; t is not null; t = t.BaseType)
        {
            if (SymbolEqualityComparer.Default.Equals(t.OriginalDefinition, target))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The methods that override <paramref name="method"/> (at any depth) or implement it (an interface
    /// member): from the types derived from its type when those can be found by name, else from the map of every
    /// type. The answer is kept for the compilation's other bodies, so it is made whole (no cancellation token, as
    /// for the map).</summary>
    internal List<IMethodSymbol>? Direct(IMethodSymbol method)
    {
        if (_direct.TryGetValue(method, out var known))
        {
            return known;
        }

        if (_subtypes.Of(method.ContainingType, CancellationToken.None) is not { } subtypes)
        {
            return _implementations.Value.TryGetValue(method, out var mapped) ? mapped : null;
        }

        var direct = DirectAmong(method, subtypes);
        return _direct.GetOrAdd(method, direct.Count > 0 ? direct : null);
    }

    /// <summary>
    /// The overrides and implementations of <paramref name="method"/> that a call on a <paramref name="receiver"/>
    /// may run, found without the map of every type when the method's own type cannot give its subtypes by name (a
    /// type of another assembly: <c>object.ToString</c>, <c>Stream.Write</c>, <c>IDisposable.Dispose</c>) but the
    /// receiver's type can: an instance behind a receiver of a class or struct type T is of T or of a type derived
    /// from T, and runs what T and its base classes of the compilation declare or what those derived types do; behind
    /// a receiver of an interface type, of a type derived from the interface; behind an enum or a delegate, of that
    /// type alone (<c>level.ToString()</c> on an enum of the compilation). So only those types' members are looked
    /// at. Otherwise (a type parameter, a receiver of another assembly's type) the answer is <see cref="Direct"/>'s.
    /// The caller keeps only what those types can run, so the answer is the map's, narrowed to them.
    /// </summary>
    internal List<IMethodSymbol>? DirectFor(IMethodSymbol method, ITypeSymbol? receiver)
    {
        if (receiver is not INamedTypeSymbol { TypeKind: TypeKind.Class or TypeKind.Struct or TypeKind.Interface or TypeKind.Enum or TypeKind.Delegate } type
            || _subtypes.Of(method.ContainingType, CancellationToken.None) is not null
            || _subtypes.Of(type, CancellationToken.None) is not { } subtypes)
        {
            return Direct(method);
        }

        var types = new List<INamedTypeSymbol>(subtypes);
        for (var b = type.OriginalDefinition.BaseType; b is not null && SymbolEqualityComparer.Default.Equals(b.ContainingAssembly, _compilation.Assembly); b = b.BaseType)
        {
            types.Add(b.OriginalDefinition);
        }

        var direct = DirectAmong(method, types);
        return direct.Count > 0 ? direct : null;
    }

    /// <summary>What the types <paramref name="types"/> (of the compilation) declare that overrides
    /// <paramref name="method"/> (at any depth) or, for an interface member, what they run for it.</summary>
    private List<IMethodSymbol> DirectAmong(IMethodSymbol method, IEnumerable<INamedTypeSymbol> types)
    {
        var direct = new List<IMethodSymbol>();
        void Add(IMethodSymbol implementation)
        {
            if (!direct.Contains(implementation, SymbolEqualityComparer.Default))
            {
                direct.Add(implementation);
            }
        }

        var owner = method.ContainingType.OriginalDefinition;
        foreach (var type in types)
        {
            if (owner.TypeKind != TypeKind.Interface)
            {
                foreach (var candidate in type.GetMembers(method.Name).OfType<IMethodSymbol>())
                {
                    for (var overridden = candidate.OverriddenMethod; overridden is not null; overridden = overridden.OverriddenMethod)
                    {
                        if (SymbolEqualityComparer.Default.Equals(overridden.OriginalDefinition, method))
                        {
                            Add(candidate.OriginalDefinition);
                        }
                    }
                }

                continue;
            }

            foreach (var implementation in InterfaceSlots(type, method))
            {
                if (SymbolEqualityComparer.Default.Equals(implementation.ContainingAssembly, _compilation.Assembly))
                {
                    Add(implementation);
                }
            }
        }

        return direct;
    }

    /// <summary>What the map of every type says of <paramref name="method"/> (a test hook: the answer
    /// <see cref="Direct"/> must agree with).</summary>
    internal List<IMethodSymbol>? DirectFromEveryType(IMethodSymbol method)
        => _implementations.Value.TryGetValue(method, out var mapped) ? mapped : null;

    private Dictionary<IMethodSymbol, List<IMethodSymbol>> BuildImplementations()
    {
        var map = new Dictionary<IMethodSymbol, List<IMethodSymbol>>(SymbolEqualityComparer.Default);
        void Add(IMethodSymbol baseMethod, IMethodSymbol implementation)
        {
            var key = baseMethod.OriginalDefinition;
            if (!map.TryGetValue(key, out var list))
            {
                map[key] = list = new List<IMethodSymbol>();
            }

            if (!list.Contains(implementation, SymbolEqualityComparer.Default))
            {
                list.Add(implementation);
            }
        }

        var types = new Stack<INamespaceOrTypeSymbol>();
        types.Push(_compilation.Assembly.GlobalNamespace);
        while (types.Count > 0)
        {
            var container = types.Pop();
            foreach (var member in container.GetMembers())
            {
                if (member is INamespaceOrTypeSymbol nested)
                {
                    types.Push(nested);
                }
            }

            if (container is not INamedTypeSymbol type)
            {
                continue;
            }

            foreach (var method in type.GetMembers().OfType<IMethodSymbol>())
            {
                for (var overridden = method.OverriddenMethod; overridden is not null; overridden = overridden.OverriddenMethod)
                {
                    Add(overridden, method.OriginalDefinition);
                }
            }

            foreach (var face in type.AllInterfaces)
            {
                foreach (var interfaceMethod in face.GetMembers().OfType<IMethodSymbol>())
                {
                    if (type.FindImplementationForInterfaceMember(interfaceMethod) is IMethodSymbol implementation
                        && SymbolEqualityComparer.Default.Equals(implementation.ContainingAssembly, _compilation.Assembly))
                    {
                        Add(interfaceMethod, implementation.OriginalDefinition);
                    }
                }
            }
        }

        return map;
    }
}
