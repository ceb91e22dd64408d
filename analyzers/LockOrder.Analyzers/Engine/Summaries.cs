using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using LockOrder.Hierarchy;
using Microsoft.CodeAnalysis;

namespace LockOrder.Engine;

/// <summary>One step of the path a finding was reached through, shown in messages and as an additional location.</summary>
internal sealed class ChainStep
{
    public ChainStep(string text, Location location)
    {
        Text = text;
        Location = location;
    }

    public string Text { get; }
    public Location Location { get; }

    /// <summary>"A -> B -> C", shortening the middle of long chains.</summary>
    public static string Format(IReadOnlyList<ChainStep> chain)
    {
        var texts = chain.Select(s => s.Text).ToList();
        if (texts.Count > 6)
        {
            texts = texts.Take(3).Concat(new[] { "..." }).Concat(texts.Skip(texts.Count - 2)).ToList();
        }

        return string.Join(" -> ", texts);
    }
}

/// <summary>A lock a method may acquire (itself or below), with the path to the acquisition.</summary>
internal sealed class SummaryAcquire
{
    public SummaryAcquire(LockClass lockClass, bool mayWait, bool isTry, ImmutableArray<ChainStep> chain, ImmutableHashSet<LockClass> dropped)
    {
        Dropped = dropped;
        Class = lockClass;
        MayWait = mayWait;
        IsTry = isTry;
        Chain = chain;
    }

    public LockClass Class { get; }
    public bool MayWait { get; }
    public bool IsTry { get; }
    public ImmutableArray<ChainStep> Chain { get; }

    /// <summary>Caller-held classes the callee has dropped before this acquisition: not held at it.</summary>
    public ImmutableHashSet<LockClass> Dropped { get; }
}

/// <summary>A path to a sleep or a wait, and the caller-held classes dropped before it.</summary>
internal sealed class Witness
{
    public Witness(ImmutableArray<ChainStep> chain, ImmutableHashSet<LockClass> dropped)
    {
        Chain = chain;
        Dropped = dropped;
    }

    public ImmutableArray<ChainStep> Chain { get; }
    public ImmutableHashSet<LockClass> Dropped { get; }

    /// <summary>Keeps the witness that holds under the most caller locks (the fewest dropped).</summary>
    public static Witness? Better(Witness? current, Witness candidate)
        => current is null || candidate.Dropped.Count < current.Dropped.Count ? candidate : current;
}

/// <summary>What calling a method may do, as far as locks are concerned.</summary>
internal sealed class MethodSummary
{
    public static readonly MethodSummary Empty = new(ImmutableArray<SummaryAcquire>.Empty, null, null, ImmutableHashSet<int>.Empty, ImmutableDictionary<int, ImmutableArray<ChainStep>>.Empty);

    public MethodSummary(ImmutableArray<SummaryAcquire> acquires, Witness? sleep, Witness? wait, ImmutableHashSet<int> invokedParameters, ImmutableDictionary<int, ImmutableArray<ChainStep>> freedParameters)
    {
        FreedParameters = freedParameters;
        Acquires = acquires;
        SleepWitness = sleep;
        WaitWitness = wait;
        InvokedParameters = invokedParameters;
    }

    /// <summary>Every lock class it may acquire, each once, with a witness chain.</summary>
    public ImmutableArray<SummaryAcquire> Acquires { get; }

    /// <summary>A path down to a call that may sleep (or a sleeping lock), or null when it cannot sleep.</summary>
    public Witness? SleepWitness { get; }

    /// <summary>A path down to a blocking call proper (a wait, I/O, a sleep), not a lock acquisition.</summary>
    public Witness? WaitWitness { get; }

    /// <summary>The path to a sleep that happens while the caller still holds <paramref name="held"/>, if any.</summary>
    public ImmutableArray<ChainStep> SleepsUnder(LockClass held) => SleepWitness is { } w && !w.Dropped.Contains(held) ? w.Chain : default;

    /// <summary>The path to a wait that happens while the caller still holds <paramref name="held"/>, if any.</summary>
    public ImmutableArray<ChainStep> WaitsUnder(LockClass held) => WaitWitness is { } w && !w.Dropped.Contains(held) ? w.Chain : default;

    /// <summary>Parameters it may free (ordinal, or -1 for its receiver), each with a witness chain.</summary>
    public ImmutableDictionary<int, ImmutableArray<ChainStep>> FreedParameters { get; }

    /// <summary>Ordinals of delegate parameters it invokes before returning.</summary>
    public ImmutableHashSet<int> InvokedParameters { get; }

    public bool SameShape(MethodSummary other)
        => Acquires.Length == other.Acquires.Length
           && Acquires.Select(a => a.Class).ToImmutableHashSet().SetEquals(other.Acquires.Select(a => a.Class))
           && Acquires.Sum(a => a.Dropped.Count) == other.Acquires.Sum(a => a.Dropped.Count)
           && (SleepWitness?.Dropped.Count ?? -1) == (other.SleepWitness?.Dropped.Count ?? -1)
           && (WaitWitness?.Dropped.Count ?? -1) == (other.WaitWitness?.Dropped.Count ?? -1)
           && InvokedParameters.SetEquals(other.InvokedParameters)
           && FreedParameters.Count == other.FreedParameters.Count;
}

/// <summary>A callee a call may run, and the steps that lead to it from the call site.</summary>
internal readonly struct EffectiveCallee
{
    public EffectiveCallee(IMethodSymbol method, ImmutableArray<ChainStep> prefix)
    {
        Method = method;
        Prefix = prefix;
    }

    public IMethodSymbol Method { get; }
    public ImmutableArray<ChainStep> Prefix { get; }
}

/// <summary>
/// Method summaries, computed on demand from the engine's facts and memoised once per compilation. Recursion
/// and mutual recursion converge by iterating each strongly connected component of the call graph to a
/// fixpoint (Tarjan's algorithm, iterative, so deep call chains cannot overflow the stack).
/// Calls to methods without source use the built-in catalog and the table: they are assumed not to lock,
/// and to sleep only when listed; they invoke their delegate arguments only when listed as invokers.
/// </summary>
internal sealed class SummaryStore
{
    // Framework methods that run their delegate arguments before returning.
    private static readonly HashSet<string> BuiltInInvokers = new(System.StringComparer.Ordinal)
    {
        "System.Collections.Generic.List.ForEach",
        "System.Array.ForEach",
        "System.Array.Sort",
        "System.Collections.Generic.List.Sort",
        "System.Collections.Generic.List.RemoveAll",
        "System.Collections.Generic.List.Find",
        "System.Collections.Generic.List.FindAll",
        "System.Collections.Generic.List.Exists",
        "System.Collections.Generic.List.TrueForAll",
        "System.Collections.Concurrent.ConcurrentDictionary.GetOrAdd",
        "System.Collections.Concurrent.ConcurrentDictionary.AddOrUpdate",
        "System.Threading.LazyInitializer.EnsureInitialized",
    };

    private readonly LockModel _model;
    private readonly ConcurrentDictionary<IMethodSymbol, MethodSummary> _done = new(SymbolEqualityComparer.Default);
    private readonly object _gate = new();

    // Summaries of the components being computed (under _gate). A method asked for while it is in here (mutual
    // recursion through helpers that run delegates) answers with its current approximation instead of starting
    // a nested computation of its own component, which would never end.
    private readonly Dictionary<IMethodSymbol, MethodSummary> _working = new(SymbolEqualityComparer.Default);
    private readonly System.Lazy<Dictionary<IMethodSymbol, List<IMethodSymbol>>> _implementations;
    private readonly System.Lazy<Dictionary<ISymbol, List<(IMethodSymbol Method, Location Where)>>> _storedDelegates;

    public SummaryStore(LockModel model)
    {
        _model = model;
        _implementations = new System.Lazy<Dictionary<IMethodSymbol, List<IMethodSymbol>>>(BuildImplementations, LazyThreadSafetyMode.ExecutionAndPublication);
        _storedDelegates = new System.Lazy<Dictionary<ISymbol, List<(IMethodSymbol, Location)>>>(BuildStoredDelegates, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    public MethodSummary Get(IMethodSymbol method, CancellationToken cancellationToken)
    {
        var key = Key(method);
        if (_done.TryGetValue(key, out var summary))
        {
            return summary;
        }

        lock (_gate)
        {
            if (_working.TryGetValue(key, out var approximation))
            {
                return approximation;
            }

            if (!_done.ContainsKey(key))
            {
                Compute(key, cancellationToken);
            }

            return _done.TryGetValue(key, out summary) ? summary : MethodSummary.Empty;
        }
    }

    /// <summary>The methods a call may run: its target (every implementation, for virtual and interface calls),
    /// the lambda or method a delegate invocation runs, and delegate arguments the target invokes.</summary>
    public IEnumerable<EffectiveCallee> CalleesOf(CallFact call, CancellationToken cancellationToken)
    {
        if (call.Target is not { } target)
        {
            yield break;
        }

        var site = OperationLocations.Of(call.Operation);
        if (target.MethodKind == MethodKind.DelegateInvoke)
        {
            if (call.Targets.InvokedDelegate is { } invoked)
            {
                yield return new EffectiveCallee(invoked, ImmutableArray.Create(new ChainStep(Display(invoked), site)));
            }

            if (call.Targets.InvokedMember is { } member)
            {
                foreach (var (stored, where) in _storedDelegates.Value.TryGetValue(member, out var list) ? list : new List<(IMethodSymbol, Location)>())
                {
                    yield return new EffectiveCallee(stored, ImmutableArray.Create(
                        new ChainStep(member.ContainingType.Name + "." + member.Name, site),
                        new ChainStep(Display(stored), where)));
                }
            }
        }
        else
        {
            foreach (var implementation in Implementations(target))
            {
                yield return new EffectiveCallee(implementation, ImmutableArray.Create(new ChainStep(Display(implementation), site)));
            }
        }

        foreach (var argument in call.Targets.DelegateArguments)
        {
            if (Invokes(target, argument.Ordinal, cancellationToken))
            {
                yield return new EffectiveCallee(argument.Target, ImmutableArray.Create(
                    new ChainStep(Display(target), site),
                    new ChainStep(Display(argument.Target), OperationLocations.Of(argument.Argument))));
            }
        }
    }

    /// <summary>
    /// The access paths of objects a call may free, each with the chain: a method of the table's 'frees' list
    /// frees its first argument (static) or its receiver and the receiver's owner (instance); a source method
    /// frees what its summary says it frees of its parameters.
    /// </summary>
    public IEnumerable<(string Path, ImmutableArray<ChainStep> Chain)> FreedBy(CallFact call, CancellationToken cancellationToken)
    {
        if (call.Target is not { } target || call.ObjectPaths.IsEmpty)
        {
            yield break;
        }

        var site = OperationLocations.Of(call.Operation);
        if (IsFreeMethod(target))
        {
            var chain = ImmutableArray.Create(new ChainStep(Display(target), site));
            var paths = target.IsStatic ? new[] { call.ObjectPaths.Length > 2 ? call.ObjectPaths[2] : null } : new[] { call.ObjectPaths[0], call.ObjectPaths[1] };
            foreach (var path in paths)
            {
                if (path is not null)
                {
                    yield return (path, chain);
                }
            }

            yield break;
        }

        if (target.MethodKind == MethodKind.DelegateInvoke)
        {
            yield break;
        }

        foreach (var implementation in Implementations(target))
        {
            if (!HasBody(implementation))
            {
                continue;
            }

            foreach (var freed in Get(implementation, cancellationToken).FreedParameters)
            {
                int index = freed.Key < 0 ? 0 : freed.Key + 2;
                if (index < call.ObjectPaths.Length && call.ObjectPaths[index] is { } path)
                {
                    yield return (path, ImmutableArray.Create(new ChainStep(Display(implementation), site)).AddRange(freed.Value));
                }
            }
        }
    }

    private bool IsFreeMethod(IMethodSymbol method)
    {
        if (_model.Table.FreeNames.Count == 0)
        {
            return false;
        }

        for (var m = method.OriginalDefinition; m is not null; m = m.OverriddenMethod?.OriginalDefinition)
        {
            if (_model.Table.FreeNames.Contains(SymbolNames.Member(m)))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether a method runs its delegate parameter before returning.</summary>
    public bool Invokes(IMethodSymbol method, int ordinal, CancellationToken cancellationToken)
    {
        if (HasBody(method))
        {
            return Implementations(method).Any(m => HasBody(m) && Get(m, cancellationToken).InvokedParameters.Contains(ordinal));
        }

        var name = SymbolNames.Member(method.OriginalDefinition);
        return BuiltInInvokers.Contains(name) || _model.Table.InvokerNames.Contains(name);
    }

    public static string Display(IMethodSymbol method) => method.MethodKind switch
    {
        MethodKind.AnonymousFunction => "lambda at line " + (method.Locations.FirstOrDefault()?.GetLineSpan().StartLinePosition.Line + 1),
        MethodKind.LocalFunction => method.Name,
        _ => method.ContainingType.Name + "." + method.Name,
    };

    private static IMethodSymbol Key(IMethodSymbol method)
        => method.MethodKind is MethodKind.AnonymousFunction or MethodKind.LocalFunction ? method : method.OriginalDefinition;

    private bool HasBody(IMethodSymbol method)
        => !method.IsAbstract && !method.IsExtern && (method.MethodKind is MethodKind.AnonymousFunction or MethodKind.LocalFunction || method.DeclaringSyntaxReferences.Length > 0);

    private IEnumerable<IMethodSymbol> Implementations(IMethodSymbol target)
    {
        var key = target.OriginalDefinition;
        if (!key.IsAbstract || key.DeclaringSyntaxReferences.Length > 0)
        {
            yield return Key(target);
        }

        if (key.IsVirtual || key.IsAbstract || key.IsOverride || key.ContainingType.TypeKind == TypeKind.Interface)
        {
            if (_implementations.Value.TryGetValue(key, out var list))
            {
                foreach (var implementation in list)
                {
                    yield return implementation;
                }
            }
        }
    }

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
        types.Push(_model.Compilation.Assembly.GlobalNamespace);
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
                        && SymbolEqualityComparer.Default.Equals(implementation.ContainingAssembly, _model.Compilation.Assembly))
                    {
                        Add(interfaceMethod, implementation.OriginalDefinition);
                    }
                }
            }
        }

        return map;
    }

    /// <summary>
    /// Lambdas and methods stored in delegate-typed fields and properties anywhere in the compilation
    /// (assignments, <c>+=</c>, initializers), so that invoking the member calls them. Built once, on the
    /// first call through such a member, from the syntax trees and the driver's cached semantic models.
    /// </summary>
    private Dictionary<ISymbol, List<(IMethodSymbol, Location)>> BuildStoredDelegates()
    {
        var map = new Dictionary<ISymbol, List<(IMethodSymbol, Location)>>(SymbolEqualityComparer.Default);
        foreach (var tree in _model.Compilation.SyntaxTrees)
        {
            SemanticModel? semantic = null;
            foreach (var node in tree.GetRoot().DescendantNodes())
            {
                ExpressionSyntaxPair? pair = node switch
                {
                    Microsoft.CodeAnalysis.CSharp.Syntax.AssignmentExpressionSyntax a => new ExpressionSyntaxPair(a.Left, a.Right),
                    Microsoft.CodeAnalysis.CSharp.Syntax.VariableDeclaratorSyntax { Initializer: { } init, Parent.Parent: Microsoft.CodeAnalysis.CSharp.Syntax.FieldDeclarationSyntax } v => new ExpressionSyntaxPair(v, init.Value),
                    Microsoft.CodeAnalysis.CSharp.Syntax.PropertyDeclarationSyntax { Initializer: { } init } p => new ExpressionSyntaxPair(p, init.Value),
                    _ => null,
                };
                if (pair is null || !(pair.Value is Microsoft.CodeAnalysis.CSharp.Syntax.LambdaExpressionSyntax or Microsoft.CodeAnalysis.CSharp.Syntax.AnonymousMethodExpressionSyntax
                    or Microsoft.CodeAnalysis.CSharp.Syntax.IdentifierNameSyntax or Microsoft.CodeAnalysis.CSharp.Syntax.MemberAccessExpressionSyntax))
                {
                    continue;
                }

#pragma warning disable RS1030 // One pass over the compilation, on demand; the driver caches semantic models.
                semantic ??= _model.Compilation.GetSemanticModel(tree);
#pragma warning restore RS1030
                var member = pair.Target is Microsoft.CodeAnalysis.CSharp.Syntax.ExpressionSyntax target ? semantic.GetSymbolInfo(target).Symbol : semantic.GetDeclaredSymbol(pair.Target);
                if (member is not (IFieldSymbol { Type.TypeKind: TypeKind.Delegate } or IPropertySymbol { Type.TypeKind: TypeKind.Delegate }))
                {
                    continue;
                }

                if (semantic.GetSymbolInfo(pair.Value).Symbol is IMethodSymbol stored)
                {
                    var key = member.OriginalDefinition;
                    if (!map.TryGetValue(key, out var list))
                    {
                        map[key] = list = new List<(IMethodSymbol, Location)>();
                    }

                    list.Add((stored, pair.Value.GetLocation()));
                }
            }
        }

        return map;
    }

    private sealed class ExpressionSyntaxPair
    {
        public ExpressionSyntaxPair(SyntaxNode target, Microsoft.CodeAnalysis.CSharp.Syntax.ExpressionSyntax value)
        {
            Target = target;
            Value = value;
        }

        public SyntaxNode Target { get; }
        public Microsoft.CodeAnalysis.CSharp.Syntax.ExpressionSyntax Value { get; }
    }

    // ---- the fixpoint ----------------------------------------------------------------------------------

    private void Compute(IMethodSymbol root, CancellationToken cancellationToken)
    {
        var started = new List<IMethodSymbol>();
        try
        {
            ComputeComponents(root, started, cancellationToken);
        }
        catch (System.OperationCanceledException)
        {
            // A cancelled computation leaves no approximation behind: the next request starts afresh.
            foreach (var node in started)
            {
                _working.Remove(node);
            }

            throw;
        }
    }

    private void ComputeComponents(IMethodSymbol root, List<IMethodSymbol> started, CancellationToken cancellationToken)
    {
        foreach (var component in StronglyConnectedComponents(root, cancellationToken))
        {
            var working = _working;
            foreach (var node in component)
            {
                working[node] = MethodSummary.Empty;
                started.Add(node);
            }

            // Summaries only grow (sets of classes, a sleep witness, invoked parameters), so this converges;
            // the cap guards against an engine bug.
            for (int round = 0; round < 64; round++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                bool changed = false;
                foreach (var node in component)
                {
                    var next = Summarize(node, working, cancellationToken);
                    if (!next.SameShape(working[node]))
                    {
                        changed = true;
                    }

                    working[node] = next;
                }

                if (!changed || component.Count == 1 && !SelfRecursive(component[0], cancellationToken))
                {
                    break;
                }
            }

            foreach (var node in component)
            {
                _done[node] = working[node];
                working.Remove(node);
            }
        }
    }

    private bool SelfRecursive(IMethodSymbol node, CancellationToken cancellationToken)
        => Successors(node, cancellationToken).Any(s => SymbolEqualityComparer.Default.Equals(s, node));

    private MethodSummary Summarize(IMethodSymbol node, Dictionary<IMethodSymbol, MethodSummary> working, CancellationToken cancellationToken)
    {
        var facts = _model.BodyOf(node, cancellationToken);
        if (facts is null)
        {
            return MethodSummary.Empty;
        }

        var acquires = new Dictionary<LockClass, SummaryAcquire>();
        Witness? sleep = null;
        Witness? wait = null;
        void AddAcquire(SummaryAcquire candidate)
        {
            // Per class, keep the acquisition made under the most caller locks (the fewest dropped).
            if (!acquires.TryGetValue(candidate.Class, out var current) || candidate.Dropped.Count < current.Dropped.Count)
            {
                acquires[candidate.Class] = candidate;
            }
        }

        foreach (var acquisition in facts.Acquisitions)
        {
            var site = OperationLocations.Of(acquisition.Operation);
            var lockClass = acquisition.Lock.Class;
            AddAcquire(new SummaryAcquire(lockClass, acquisition.Event.MayWait, acquisition.IsTry,
                ImmutableArray.Create(new ChainStep("acquiring " + lockClass.Display, site)), acquisition.Dropped));
            if (acquisition.Event.MayWait && lockClass.Kind.MaySleep())
            {
                sleep = Witness.Better(sleep, new Witness(ImmutableArray.Create(new ChainStep("acquiring " + lockClass.Kind.Name() + " " + lockClass.Display, site)), acquisition.Dropped));
            }
        }

        var invoked = ImmutableHashSet.CreateBuilder<int>();
        foreach (var call in facts.Calls)
        {
            if (call.Blocking is not null)
            {
                var step = new Witness(ImmutableArray.Create(new ChainStep(call.Blocking, OperationLocations.Of(call.Operation))), call.Dropped);
                sleep = Witness.Better(sleep, step);
                wait = Witness.Better(wait, step);
            }

            if (call.Targets.InvokedParameter >= 0)
            {
                invoked.Add(call.Targets.InvokedParameter);
            }

            if (call.Target is { } target)
            {
                foreach (var (ordinal, callerParameter) in call.Targets.ForwardedParameters)
                {
                    if (Invokes(target, ordinal, cancellationToken))
                    {
                        invoked.Add(callerParameter);
                    }
                }
            }

            foreach (var callee in CalleesOf(call, cancellationToken))
            {
                var calleeKey = Key(callee.Method);
                var summary = working.TryGetValue(calleeKey, out var w) ? w : _done.TryGetValue(calleeKey, out var d) ? d : MethodSummary.Empty;
                foreach (var acquire in summary.Acquires)
                {
                    AddAcquire(new SummaryAcquire(acquire.Class, acquire.MayWait, acquire.IsTry, callee.Prefix.AddRange(acquire.Chain), acquire.Dropped.Union(call.Dropped)));
                }

                if (summary.SleepWitness is { } s)
                {
                    sleep = Witness.Better(sleep, new Witness(callee.Prefix.AddRange(s.Chain), s.Dropped.Union(call.Dropped)));
                }

                if (summary.WaitWitness is { } ww)
                {
                    wait = Witness.Better(wait, new Witness(callee.Prefix.AddRange(ww.Chain), ww.Dropped.Union(call.Dropped)));
                }
            }
        }

        var freed = ImmutableDictionary.CreateBuilder<int, ImmutableArray<ChainStep>>();
        if (node.MethodKind is not (MethodKind.AnonymousFunction or MethodKind.LocalFunction))
        {
            foreach (var call in facts.Calls)
            {
                foreach (var (path, chain) in FreedByWorking(call, working, cancellationToken))
                {
                    int ordinal = path == "this" ? -1 : node.Parameters.FirstOrDefault(p => "p:" + p.Name == path)?.Ordinal ?? -2;
                    if (ordinal >= -1 && !freed.ContainsKey(ordinal))
                    {
                        freed[ordinal] = chain;
                    }
                }
            }
        }

        return new MethodSummary(acquires.Values.ToImmutableArray(), sleep, wait, invoked.ToImmutable(), freed.ToImmutable());
    }

    /// <summary><see cref="FreedBy"/> inside the fixpoint: callees of the same component use their working summaries.</summary>
    private IEnumerable<(string Path, ImmutableArray<ChainStep> Chain)> FreedByWorking(CallFact call, Dictionary<IMethodSymbol, MethodSummary> working, CancellationToken cancellationToken)
    {
        if (call.Target is { } target && !IsFreeMethod(target) && target.MethodKind != MethodKind.DelegateInvoke)
        {
            var site = OperationLocations.Of(call.Operation);
            foreach (var implementation in Implementations(target))
            {
                var key = Key(implementation);
                var summary = working.TryGetValue(key, out var w) ? w : _done.TryGetValue(key, out var d) ? d : MethodSummary.Empty;
                foreach (var freed in summary.FreedParameters)
                {
                    int index = freed.Key < 0 ? 0 : freed.Key + 2;
                    if (index < call.ObjectPaths.Length && call.ObjectPaths[index] is { } path)
                    {
                        yield return (path, ImmutableArray.Create(new ChainStep(Display(implementation), site)).AddRange(freed.Value));
                    }
                }
            }

            yield break;
        }

        foreach (var item in FreedBy(call, cancellationToken))
        {
            yield return item;
        }
    }

    private IEnumerable<IMethodSymbol> Successors(IMethodSymbol node, CancellationToken cancellationToken)
    {
        var facts = _model.BodyOf(node, cancellationToken);
        if (facts is null)
        {
            yield break;
        }

        foreach (var call in facts.Calls)
        {
            if (call.Target is not { } target)
            {
                continue;
            }

            // The graph over-approximates: every delegate argument is an edge, whether or not it is invoked.
            if (target.MethodKind == MethodKind.DelegateInvoke)
            {
                if (call.Targets.InvokedDelegate is { } invoked && HasBody(invoked))
                {
                    yield return Key(invoked);
                }

                if (call.Targets.InvokedMember is { } member && _storedDelegates.Value.TryGetValue(member, out var stored))
                {
                    foreach (var (method, _) in stored)
                    {
                        if (HasBody(method))
                        {
                            yield return Key(method);
                        }
                    }
                }
            }
            else
            {
                foreach (var implementation in Implementations(target))
                {
                    if (HasBody(implementation))
                    {
                        yield return Key(implementation);
                    }
                }
            }

            foreach (var argument in call.Targets.DelegateArguments)
            {
                if (HasBody(argument.Target))
                {
                    yield return Key(argument.Target);
                }
            }
        }
    }

    /// <summary>Tarjan's algorithm without recursion, over methods not yet summarised; components come out
    /// callees first.</summary>
    private List<List<IMethodSymbol>> StronglyConnectedComponents(IMethodSymbol root, CancellationToken cancellationToken)
    {
        var result = new List<List<IMethodSymbol>>();
        var index = new Dictionary<IMethodSymbol, int>(SymbolEqualityComparer.Default);
        var low = new Dictionary<IMethodSymbol, int>(SymbolEqualityComparer.Default);
        var onStack = new HashSet<IMethodSymbol>(SymbolEqualityComparer.Default);
        var stack = new Stack<IMethodSymbol>();
        var work = new Stack<(IMethodSymbol Node, IEnumerator<IMethodSymbol> Successors)>();
        int counter = 0;

        void Enter(IMethodSymbol node)
        {
            index[node] = low[node] = counter++;
            stack.Push(node);
            onStack.Add(node);
            work.Push((node, Successors(node, cancellationToken).Distinct<IMethodSymbol>(SymbolEqualityComparer.Default).ToList().GetEnumerator()));
        }

        Enter(root);
        while (work.Count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (node, successors) = work.Peek();
            if (successors.MoveNext())
            {
                var next = successors.Current;
                if (_done.ContainsKey(next) || _working.ContainsKey(next))
                {
                    continue;
                }

                if (!index.ContainsKey(next))
                {
                    Enter(next);
                }
                else if (onStack.Contains(next))
                {
                    low[node] = System.Math.Min(low[node], index[next]);
                }

                continue;
            }

            work.Pop();
            if (work.Count > 0)
            {
                var parent = work.Peek().Node;
                low[parent] = System.Math.Min(low[parent], low[node]);
            }

            if (low[node] == index[node])
            {
                var component = new List<IMethodSymbol>();
                IMethodSymbol member;
                do
                {
                    member = stack.Pop();
                    onStack.Remove(member);
                    component.Add(member);
                }
                while (!SymbolEqualityComparer.Default.Equals(member, node));

                result.Add(component);
            }
        }

        return result;
    }
}
