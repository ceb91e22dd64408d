using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using LockOrder.Engine.Flow;
using LockOrder.Engine.Model;
using LockOrder.Engine.Queries;
using LockOrder.Hierarchy;
using Microsoft.CodeAnalysis;

namespace LockOrder.Engine.Calls;

/// <summary>A lock a method may acquire (itself or below), with the path to the acquisition.</summary>
/// <param name="Dropped">Caller-held classes the callee has dropped before this acquisition: not held at it.</param>
/// <param name="Place">Where the lock lives relative to the method's object.</param>
internal sealed record SummaryAcquire(LockClass Class, bool MayWait, bool IsTry, Chain Chain, ImmutableHashSet<LockClass> Dropped, LockPlace Place)
{
    /// <summary>The mode taken (a reader-writer lock's read, upgradeable or write).</summary>
    public LockMode Mode { get; init; }

    /// <summary>
    /// Members of the method's own object one of which every witness of this acquisition on another object (at
    /// <see cref="LockPlace.Other"/>) goes through (a call on <c>this.F</c>, a lock on <c>this.F.G</c>): such an
    /// acquisition only happens when one of them is not null. Null when some such witness goes through none (a lock
    /// of a parameter, of a static); empty when every witness is on the object itself or one nested in it.
    /// </summary>
    public ImmutableHashSet<ISymbol>? Needs { get; init; } = ImmutableHashSet<ISymbol>.Empty;

    /// <summary>Two witnesses of one class as one: the better one's chain, the more contended of the two places
    /// (what a caller may not rule out), and what either needs of the object.</summary>
    public static SummaryAcquire Merge(SummaryAcquire current, SummaryAcquire candidate)
        => (candidate.IsBetterThan(current) ? candidate : current) with
        {
            Place = Rank(candidate.Place) > Rank(current.Place) ? candidate.Place : current.Place,
            Needs = Either(current.Needs, candidate.Needs),
        };

    /// <summary>This acquisition seen from a call: its chain and drops extended, its place mapped through the
    /// call's receiver; null when it locks an object of the caller's own making that nobody else can hold.</summary>
    public SummaryAcquire? Through(EffectiveCallee callee, CallFact call)
        => Places.Through(Place, call.Dispatch.Relation) is { } place
            ? this with { Chain = callee.Prefix.Then(Chain), Dropped = Dropped.Union(call.Dropped), Place = place, Needs = place == LockPlace.Other ? NeedsSeenFrom(call) : ImmutableHashSet<ISymbol>.Empty }
            : null;

    /// <summary>The members of the caller's object the acquisition needs: the same ones below a call on <c>this</c>
    /// (or a static call, or a lambda of the caller run by one); below a call on <c>this.F...</c>, <c>F</c>, which
    /// must not be null for the call to run at all; none below a call on anything else.</summary>
    private ImmutableHashSet<ISymbol>? NeedsSeenFrom(CallFact call) => call.Objects.Receiver switch
    {
        AccessPath.This => Needs,
        null when call.Dispatch.Relation == ReceiverRelation.Same => Needs,
        { FirstMemberOfThis: { } member } => NeedsOf(member),
        _ => null,
    };

    /// <summary>What an acquisition in the body at <paramref name="place"/> of <paramref name="instance"/> needs (see
    /// <see cref="Needs"/>).</summary>
    public static ImmutableHashSet<ISymbol>? NeedsOf(LockPlace place, AccessPath? instance)
        => place != LockPlace.Other ? ImmutableHashSet<ISymbol>.Empty : NeedsOf(instance?.FirstMemberOfThis);

    private static ImmutableHashSet<ISymbol>? NeedsOf(ISymbol? member)
        => member is null ? null : ImmutableHashSet.Create<ISymbol>(SymbolEqualityComparer.Default, member.OriginalDefinition);

    /// <summary>Two witnesses together: either may happen, so either's members will do; none if either needs none.</summary>
    private static ImmutableHashSet<ISymbol>? Either(ImmutableHashSet<ISymbol>? a, ImmutableHashSet<ISymbol>? b)
        => a is null || b is null ? null : a.Union(b);

    /// <summary>Of two witnesses for one class, the one that matters most: taken under more of the caller's locks,
    /// then the more contended place (another object's before a nested one's), then the shorter path.</summary>
    public bool IsBetterThan(SummaryAcquire other)
        => Dropped.Count != other.Dropped.Count ? Dropped.Count < other.Dropped.Count
           : Place != other.Place ? Rank(Place) > Rank(other.Place)
           : Chain.Depth < other.Chain.Depth;

    private static int Rank(LockPlace place) => place switch
    {
        LockPlace.Other => 3,
        LockPlace.Self => 2,
        LockPlace.Nested => 1,
        _ => 0,
    };
}

/// <summary>A path to a sleep or a wait, and the caller-held classes dropped before it.</summary>
internal sealed record Witness(Chain Chain, ImmutableHashSet<LockClass> Dropped)
{
    /// <summary>Keeps the witness that holds under the most caller locks (the fewest dropped), then the shortest.</summary>
    public static Witness? Better(Witness? current, Witness candidate)
        => current is null || candidate.Dropped.Count < current.Dropped.Count
           || candidate.Dropped.Count == current.Dropped.Count && candidate.Chain.Depth < current.Chain.Depth ? candidate : current;
}

/// <summary>What the fixpoint compares between rounds: which classes, how many drops, whether it sleeps or waits,
/// which parameters it runs or frees. Chains may change without changing the shape.</summary>
internal sealed record SummaryShape(EquatableArray<(LockClass Class, int Depth, LockPlace Place, int Needs)> Classes, int Dropped, int SleepDropped, int WaitDropped, int SleepDepth, int WaitDepth,
    EquatableArray<int> Invoked, int Freed, int InvokedUnder);

/// <summary>What calling a method may do, as far as locks are concerned.</summary>
/// <param name="Acquires">Every lock class it may acquire, each once, with a witness chain.</param>
/// <param name="SleepWitness">A path down to a call that may sleep (or a sleeping lock), or null when it cannot sleep.</param>
/// <param name="WaitWitness">A path down to a blocking call proper (a wait, I/O, a sleep), not a lock acquisition.</param>
/// <param name="InvokedParameters">Ordinals of delegate parameters it invokes before returning.</param>
/// <param name="FreedParameters">Parameters it may free (ordinal, or <see cref="Receiver"/>), each with a witness chain.</param>
internal sealed record MethodSummary(
    ImmutableArray<SummaryAcquire> Acquires,
    Witness? SleepWitness,
    Witness? WaitWitness,
    ImmutableHashSet<int> InvokedParameters,
    ImmutableDictionary<int, Chain> FreedParameters)
{
    /// <summary>For each delegate parameter it invokes while holding locks of its own: those locks (as held in it,
    /// or in the method it passes the delegate on to). A caller's lambda passed there runs under them.</summary>
    public ImmutableDictionary<int, ImmutableArray<HeldLock>> InvokedUnder { get; init; } = ImmutableDictionary<int, ImmutableArray<HeldLock>>.Empty;

    /// <summary>The key of <see cref="FreedParameters"/> for the method's receiver.</summary>
    public const int Receiver = -1;

    public static readonly MethodSummary Empty = new(ImmutableArray<SummaryAcquire>.Empty, null, null, ImmutableHashSet<int>.Empty, ImmutableDictionary<int, Chain>.Empty);

    /// <summary>The path to a sleep that happens while the caller still holds <paramref name="held"/>, if any.</summary>
    public Chain? SleepsUnder(LockClass held) => SleepWitness is { } w && !w.Dropped.Contains(held) ? w.Chain : null;

    /// <summary>The path to a wait that happens while the caller still holds <paramref name="held"/>, if any.</summary>
    public Chain? WaitsUnder(LockClass held) => WaitWitness is { } w && !w.Dropped.Contains(held) ? w.Chain : null;

    public SummaryShape Shape => new(
        new EquatableArray<(LockClass, int, LockPlace, int)>(Acquires.OrderBy(a => a.Class.SortKey, System.StringComparer.Ordinal).Select(a => (a.Class, a.Chain.Depth, a.Place, a.Needs?.Count ?? -1)).ToImmutableArray()),
        Acquires.Sum(a => a.Dropped.Count),
        SleepWitness?.Dropped.Count ?? -1,
        WaitWitness?.Dropped.Count ?? -1,
        SleepWitness?.Chain.Depth ?? -1,
        WaitWitness?.Chain.Depth ?? -1,
        new EquatableArray<int>(InvokedParameters.OrderBy(i => i).ToImmutableArray()),
        FreedParameters.Count,
        InvokedUnder.Sum(p => p.Value.Length));
}

/// <summary>
/// Method summaries, computed on demand from the engine's facts and memoised once per compilation. Recursion and
/// mutual recursion converge by iterating each strongly connected component of the call graph to a fixpoint
/// (Tarjan's algorithm, iterative, so deep call chains cannot overflow the stack). Calls to methods without source
/// are assumed not to lock, and to sleep only when the catalog or the table lists them; they run their delegate
/// arguments only when listed as invokers. What happens deeper than <see cref="LockModel.MaxCallDepth"/> calls
/// below a method is not part of its summary: the longer a chain of calls, the less likely it runs as written
/// (every virtual call on it fans out to every override), so chains are kept short and each kept one is shortest.
/// </summary>
internal sealed class Summaries
{
    private readonly LockModel _model;
    private readonly CallGraph _graph;
    private readonly ConcurrentDictionary<IMethodSymbol, MethodSummary> _done = new(SymbolEqualityComparer.Default);
    private readonly object _gate = new();

    // Summaries of the components being computed (under _gate). A method asked for while it is in here (mutual
    // recursion through helpers that run delegates) answers with its current approximation instead of starting a
    // nested computation of its own component, which would never end.
    private readonly Dictionary<IMethodSymbol, MethodSummary> _working = new(SymbolEqualityComparer.Default);

    private readonly FreshObjects _fresh;

    public Summaries(LockModel model, CallGraph graph)
    {
        _model = model;
        _graph = graph;
        _fresh = new FreshObjects(model, graph);
    }

    public MethodSummary Get(IMethodSymbol method, CancellationToken cancellationToken)
    {
        var key = MethodKey.Of(method);
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

    /// <summary>
    /// An acquisition below a call, seen from the calling body: through the call (see
    /// <see cref="SummaryAcquire.Through"/>), or null when it cannot be contended or cannot happen: it locks an object
    /// of the caller's own making, or, on an object the caller has just created, every witness goes through a member
    /// such an object leaves null (see <see cref="FreshObjects"/>).
    /// </summary>
    public SummaryAcquire? Seen(SummaryAcquire acquire, EffectiveCallee callee, CallFact call, BodyFacts caller, CancellationToken cancellationToken)
        => call.Dispatch.Relation == ReceiverRelation.Fresh && acquire.Needs is { } needs && _fresh.AllNull(needs, call, caller, cancellationToken)
            ? null
            : acquire.Through(callee, call);

    /// <summary>The methods a call runs: its candidates, keeping a delegate argument only when its callee invokes it.</summary>
    public IEnumerable<EffectiveCallee> CalleesOf(CallFact call, CancellationToken cancellationToken)
        => _graph.Candidates(call)
            .Where(c => !c.Conditional || Invokes(c.RunBy!, c.RunByOrdinal, cancellationToken))
            .Select(c => new EffectiveCallee(c.Method, c.Prefix));

    /// <summary>Whether a method runs its delegate parameter before returning.</summary>
    public bool Invokes(IMethodSymbol method, int ordinal, CancellationToken cancellationToken)
        => MethodKey.HasBody(method)
            ? _graph.Implementations(method).Any(m => MethodKey.HasBody(m) && Get(m, cancellationToken).InvokedParameters.Contains(ordinal))
            : _model.Knowledge.IsInvoker(method);

    /// <summary>
    /// The objects a call may free, by access path, each with the chain: a method of the table's 'frees' list frees
    /// its first argument (static) or its receiver and the receiver's owner (instance); a source method frees what
    /// its summary says it frees of its parameters.
    /// </summary>
    public IEnumerable<(AccessPath Path, Chain Chain)> FreedBy(CallFact call, CancellationToken cancellationToken)
        => FreedBy(call, m => Get(m, cancellationToken));

    private IEnumerable<(AccessPath Path, Chain Chain)> FreedBy(CallFact call, System.Func<IMethodSymbol, MethodSummary> summaryOf)
    {
        if (call.Target is not { } target)
        {
            yield break;
        }

        var site = OperationLocations.Of(call.Operation);
        if (_model.Knowledge.IsFree(target))
        {
            var chain = Chain.Of(Findings.Display(target), site);
            var paths = target.IsStatic ? new[] { call.Objects.Argument(0) } : new[] { call.Objects.Receiver, call.Objects.ReceiverOwner };
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

        foreach (var implementation in _graph.Implementations(target, call.Dispatch))
        {
            if (!MethodKey.HasBody(implementation))
            {
                continue;
            }

            foreach (var freed in summaryOf(implementation).FreedParameters)
            {
                if ((freed.Key == MethodSummary.Receiver ? call.Objects.Receiver : call.Objects.Argument(freed.Key)) is { } path)
                {
                    yield return (path, Chain.Of(Findings.Display(implementation), site).Then(freed.Value));
                }
            }
        }
    }

    // ---- the fixpoint ----------------------------------------------------------------------------------

    private void Compute(IMethodSymbol root, CancellationToken cancellationToken)
    {
        var started = new List<IMethodSymbol>();
        try
        {
            foreach (var component in StronglyConnectedComponents(root, cancellationToken))
            {
                foreach (var node in component)
                {
                    _working[node] = MethodSummary.Empty;
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
                        var next = Summarize(node, cancellationToken);
                        if (next.Shape != _working[node].Shape)
                        {
                            changed = true;
                        }

                        _working[node] = next;
                    }

                    if (!changed || component.Count == 1 && !Successors(component[0], cancellationToken).Contains(component[0], SymbolEqualityComparer.Default))
                    {
                        break;
                    }
                }

                foreach (var node in component)
                {
                    _done[node] = _working[node];
                    _working.Remove(node);
                }
            }
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

    /// <summary>A summary from the body's facts and its callees' summaries (working approximations inside the
    /// component being computed).</summary>
    private MethodSummary Summarize(IMethodSymbol node, CancellationToken cancellationToken)
    {
        var facts = _model.BodyOf(node, cancellationToken);
        if (facts is null)
        {
            return MethodSummary.Empty;
        }

        MethodSummary SummaryOf(IMethodSymbol callee)
        {
            var key = MethodKey.Of(callee);
            return _working.TryGetValue(key, out var w) ? w : _done.TryGetValue(key, out var d) ? d : MethodSummary.Empty;
        }

        var acquires = new Dictionary<LockClass, SummaryAcquire>();
        Witness? sleep = null;
        Witness? wait = null;
        int maxDepth = _model.MaxCallDepth;
        void AddAcquire(SummaryAcquire candidate)
        {
            // Per class, keep the acquisition made under the most caller locks (the fewest dropped), then the shortest
            // (see SummaryAcquire.Merge).
            if (candidate.Chain.Depth > maxDepth)
            {
                return;
            }

            acquires[candidate.Class] = acquires.TryGetValue(candidate.Class, out var current) ? SummaryAcquire.Merge(current, candidate) : candidate;
        }

        Witness? Bounded(Witness? current, Witness candidate) => candidate.Chain.Depth <= maxDepth ? Witness.Better(current, candidate) : current;

        foreach (var acquisition in facts.Acquisitions)
        {
            var site = OperationLocations.Of(acquisition.Operation);
            var lockClass = acquisition.Lock.Class;
            if (acquisition.Place != LockPlace.Fresh)
            {
                AddAcquire(new SummaryAcquire(lockClass, acquisition.Event.MayWait, acquisition.IsTry, Chain.Of("acquiring " + lockClass.Display, site), acquisition.Dropped, acquisition.Place)
                {
                    Mode = acquisition.Event.Mode,
                    Needs = SummaryAcquire.NeedsOf(acquisition.Place, acquisition.Lock.Instance),
                });
            }

            if (acquisition.Event.MayWait && lockClass.Kind.MaySleep())
            {
                sleep = Witness.Better(sleep, new Witness(Chain.Of("acquiring " + lockClass.Kind.Name() + " " + lockClass.Display, site), acquisition.Dropped));
            }
        }

        var invoked = ImmutableHashSet.CreateBuilder<int>();
        var invokedUnder = new Dictionary<int, ImmutableArray<HeldLock>>();
        void InvokedUnder(int parameter, IEnumerable<HeldLock> held)
        {
            var current = invokedUnder.TryGetValue(parameter, out var list) ? list : ImmutableArray<HeldLock>.Empty;
            invokedUnder[parameter] = current.AddRange(held.Where(h => !current.Any(c => ReferenceEquals(c.Class, h.Class))));
        }

        foreach (var call in facts.Calls)
        {
            if (call.Blocking is not null)
            {
                var step = new Witness(Chain.Of(call.Blocking, OperationLocations.Of(call.Operation)), call.Dropped);
                sleep = Witness.Better(sleep, step);
                wait = Witness.Better(wait, step);
            }

            if (call.Targets.InvokedParameter >= 0)
            {
                invoked.Add(call.Targets.InvokedParameter);
                InvokedUnder(call.Targets.InvokedParameter, call.Held);
            }

            if (call.Target is { } target)
            {
                foreach (var forwarded in call.Targets.ForwardedParameters)
                {
                    if (Invokes(target, forwarded.Ordinal, cancellationToken))
                    {
                        invoked.Add(forwarded.CallerParameter);
                        InvokedUnder(forwarded.CallerParameter, call.Held);
                        foreach (var implementation in _graph.Implementations(target, call.Dispatch))
                        {
                            if (SummaryOf(implementation).InvokedUnder.TryGetValue(forwarded.Ordinal, out var below))
                            {
                                InvokedUnder(forwarded.CallerParameter, below);
                            }
                        }
                    }
                }
            }

            foreach (var callee in CalleesOf(call, cancellationToken))
            {
                var summary = SummaryOf(callee.Method);
                foreach (var acquire in summary.Acquires)
                {
                    if (Seen(acquire, callee, call, facts, cancellationToken) is { } seen)
                    {
                        AddAcquire(seen);
                    }
                }

                if (summary.SleepWitness is { } s)
                {
                    sleep = Bounded(sleep, new Witness(callee.Prefix.Then(s.Chain), s.Dropped.Union(call.Dropped)));
                }

                if (summary.WaitWitness is { } ww)
                {
                    wait = Bounded(wait, new Witness(callee.Prefix.Then(ww.Chain), ww.Dropped.Union(call.Dropped)));
                }
            }
        }

        var freed = ImmutableDictionary.CreateBuilder<int, Chain>();
        if (node.MethodKind is not (MethodKind.AnonymousFunction or MethodKind.LocalFunction))
        {
            foreach (var call in facts.Calls)
            {
                foreach (var (path, chain) in FreedBy(call, SummaryOf))
                {
                    int? ordinal = path switch
                    {
                        AccessPath.This => MethodSummary.Receiver,
                        AccessPath.Parameter p when SymbolEqualityComparer.Default.Equals(p.Symbol.ContainingSymbol, facts.Owner) => p.Symbol.Ordinal,
                        _ => null,
                    };
                    if (ordinal is { } o && chain.Depth <= maxDepth && !freed.ContainsKey(o))
                    {
                        freed[o] = chain;
                    }
                }
            }
        }

        return new MethodSummary(acquires.Values.ToImmutableArray(), sleep, wait, invoked.ToImmutable(), freed.ToImmutable())
        {
            InvokedUnder = invokedUnder.Where(p => !p.Value.IsEmpty).ToImmutableDictionary(p => p.Key, p => p.Value),
        };
    }

    /// <summary>The call graph's edges out of a method: every candidate with a body, whether or not a delegate
    /// argument is invoked (the graph over-approximates; the summaries decide).</summary>
    private IEnumerable<IMethodSymbol> Successors(IMethodSymbol node, CancellationToken cancellationToken)
    {
        var facts = _model.BodyOf(node, cancellationToken);
        if (facts is null)
        {
            return Enumerable.Empty<IMethodSymbol>();
        }

        return facts.Calls.SelectMany(_graph.Candidates).Where(c => MethodKey.HasBody(c.Method)).Select(c => MethodKey.Of(c.Method));
    }

    /// <summary>Tarjan's algorithm without recursion, over methods not yet summarised; components come out callees
    /// first.</summary>
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
