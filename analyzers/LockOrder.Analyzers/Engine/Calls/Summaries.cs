using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Runtime.CompilerServices;
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

    /// <summary>At <see cref="LockPlace.Owner"/>: the member of the method's object that refers back to the owner.</summary>
    public ISymbol? Back { get; init; }

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
    {
        // One place stands for both witnesses. An owner's lock and any other place (or two owners reached through
        // different members) cannot be told apart any more through a helper: the merge is another object's lock.
        bool owners = current.Place == LockPlace.Owner || candidate.Place == LockPlace.Owner;
        bool sameOwner = current.Place == candidate.Place && SymbolEqualityComparer.Default.Equals(current.Back, candidate.Back);
        var place = owners && !sameOwner ? LockPlace.Other
            : Rank(candidate.Place) > Rank(current.Place) ? candidate.Place : current.Place;
        return (candidate.IsBetterThan(current) ? candidate : current) with
        {
            Place = place,
            Needs = Either(current.Needs, candidate.Needs),
            Back = place == LockPlace.Owner ? current.Back : null,
        };
    }

    /// <summary>This acquisition seen from a call: its chain and drops extended, its place mapped through the
    /// call's receiver; null when it locks an object of the caller's own making that nobody else can hold.</summary>
    public SummaryAcquire? Through(EffectiveCallee callee, CallFact call)
        => Places.Through(Place, call.Dispatch.Relation, Back is not null && SymbolEqualityComparer.Default.Equals(Back, call.Dispatch.Back)) is { } place
            ? this with
            {
                Chain = callee.Prefix.Then(Chain), Dropped = Dropped.Union(call.Dropped), Place = place,
                Needs = place is LockPlace.Other or LockPlace.Owner ? NeedsSeenFrom(call) : ImmutableHashSet<ISymbol>.Empty,
                Back = place != LockPlace.Owner ? null : Place == LockPlace.Owner ? Back : call.Dispatch.Back,
            }
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
        => place is not (LockPlace.Other or LockPlace.Owner) ? ImmutableHashSet<ISymbol>.Empty : NeedsOf(instance?.FirstMemberOfThis);

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
        LockPlace.Other => 4,
        LockPlace.Owner => 3,
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
}

/// <summary>
/// Method summaries, computed on demand from the engine's facts and memoised once per compilation, by method and by
/// the number of calls they follow below it: a summary with budget b is built from its callees' summaries with budget
/// b - 1, so recursion and mutual recursion end without a fixpoint, the recursion is at most
/// <see cref="LockModel.MaxCallDepth"/> deep, and only the methods within that many calls of a lock-holding region
/// are ever analysed (an edit in the IDE pays for what the edited code reaches, not for the project). Calls to methods without source
/// are assumed not to lock, and to sleep only when the catalog or the table lists them; they run their delegate
/// arguments only when listed as invokers. What happens deeper than <see cref="LockModel.MaxCallDepth"/> calls
/// below a method is not part of its summary: the longer a chain of calls, the less likely it runs as written
/// (every virtual call on it fans out to every override), so chains are kept short and each kept one is shortest.
/// </summary>
internal sealed class Summaries
{
    private readonly LockModel _model;
    private readonly CallGraph _graph;
    // Summaries by method and budget (how many calls below the method they follow): each computed once per
    // compilation, on demand.
    private readonly ConcurrentDictionary<(IMethodSymbol Method, int Budget), MethodSummary> _done = new(new BudgetKeyComparer());
    private readonly ConcurrentDictionary<(IMethodSymbol Method, int Budget), Lazy<MethodSummary>> _pending = new(new BudgetKeyComparer());

    private readonly FreshObjects _fresh;

    /// <summary>Whether a summary with no call left to spend skips asking what its calls may run (their summaries
    /// would all be empty). A test hook: off, every call's candidates are found as before, and every summary and
    /// diagnostic must be the same.</summary>
    internal bool SkipCalleesWithoutBudget { get; set; } = true;

    /// <summary>Whether a summary with no call left to spend is empty without binding the body when its text and
    /// signature say it can take no lock, block, free or run a delegate it was given
    /// (<see cref="Knowledge.BodyFilter.MayActAlone"/>). A test hook, as above.</summary>
    internal bool SkipQuietBodiesWithoutBudget { get; set; } = true;

    public Summaries(LockModel model, CallGraph graph)
    {
        _model = model;
        _graph = graph;
        _fresh = new FreshObjects(model, graph);
    }

    /// <summary>What calling <paramref name="method"/> may do, as far as the summaries follow
    /// (<see cref="LockModel.MaxCallDepth"/> calls below it).</summary>
    public MethodSummary Get(IMethodSymbol method, CancellationToken cancellationToken)
        => Get(method, _model.MaxCallDepth, cancellationToken);

    /// <summary>
    /// What calling <paramref name="method"/> may do within <paramref name="budget"/> calls below it (0: its own
    /// body only). A method's summary is built from its callees' summaries with one call less to spend, so the
    /// recursion always ends, recursive methods included, and only what a lock-holding region can reach within the
    /// depth bound is ever analysed.
    /// </summary>
    public MethodSummary Get(IMethodSymbol method, int budget, CancellationToken cancellationToken)
    {
        if (budget < 0)
        {
            return MethodSummary.Empty;
        }

        var key = (MethodKey.Of(method), budget);
        if (_done.TryGetValue(key, out var summary))
        {
            return summary;
        }

        // Each summary is computed once, by whoever asks first; others wait for that one alone, not for every
        // summary in progress (one lock for all serialised the rules' threads on each other). A summary waits only
        // for summaries of a smaller budget and for bodies' facts, which wait for no summary: no wait can close a
        // circle.
        var pending = _pending.GetOrAdd(key, k => new Lazy<MethodSummary>(() => Summarize(k.Method, k.Budget, cancellationToken), LazyThreadSafetyMode.ExecutionAndPublication));
        try
        {
            summary = pending.Value;
        }
        catch (OperationCanceledException)
        {
            // Not kept (as for a body's facts): the next request computes it again, with its own token.
            ((ICollection<KeyValuePair<(IMethodSymbol Method, int Budget), Lazy<MethodSummary>>>)_pending).Remove(
                new KeyValuePair<(IMethodSymbol Method, int Budget), Lazy<MethodSummary>>(key, pending));
            cancellationToken.ThrowIfCancellationRequested();
            return Get(method, budget, cancellationToken);
        }

        _done.TryAdd(key, summary);
        return summary;
    }

    private sealed class BudgetKeyComparer : IEqualityComparer<(IMethodSymbol Method, int Budget)>
    {
        public bool Equals((IMethodSymbol Method, int Budget) x, (IMethodSymbol Method, int Budget) y)
            => x.Budget == y.Budget && SymbolEqualityComparer.Default.Equals(x.Method, y.Method);

        public int GetHashCode((IMethodSymbol Method, int Budget) obj) => (SymbolEqualityComparer.Default.GetHashCode(obj.Method) * 31) + obj.Budget;
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
        => CalleesOf(call, _model.MaxCallDepth, cancellationToken);

    private IEnumerable<EffectiveCallee> CalleesOf(CallFact call, int budget, CancellationToken cancellationToken)
        => _graph.Candidates(call)
            .Where(c => !c.Conditional || Invokes(c.RunBy!, c.RunByOrdinal, budget - 1, cancellationToken))
            .Select(c => new EffectiveCallee(c.Method, c.Prefix));

    /// <summary>Whether a method runs its delegate parameter before returning.</summary>
    public bool Invokes(IMethodSymbol method, int ordinal, CancellationToken cancellationToken)
        => Invokes(method, ordinal, _model.MaxCallDepth, cancellationToken);

    private bool Invokes(IMethodSymbol method, int ordinal, int budget, CancellationToken cancellationToken)
        => MethodKey.HasBody(method, _model.Compilation)
            ? (budget >= 0 || !SkipCalleesWithoutBudget) && _graph.Implementations(method).Any(m => MethodKey.HasBody(m, _model.Compilation) && Get(m, budget, cancellationToken).InvokedParameters.Contains(ordinal))
            : _model.Knowledge.IsInvoker(method);

    /// <summary>
    /// The objects a call may free, by access path, each with the chain: a method of the table's 'frees' list frees
    /// its first argument (static) or its receiver and the receiver's owner (instance); a source method frees what
    /// its summary says it frees of its parameters.
    /// </summary>
    public IEnumerable<(AccessPath Path, Chain Chain)> FreedBy(CallFact call, CancellationToken cancellationToken)
        => FreedBy(call, m => Get(m, cancellationToken), followCallees: true);

    /// <param name="followCallees">False where every callee's summary is empty (no budget left below the call): only
    /// what the table's 'frees' list says is freed, and the callee's implementations are not looked for.</param>
    private IEnumerable<(AccessPath Path, Chain Chain)> FreedBy(CallFact call, System.Func<IMethodSymbol, MethodSummary> summaryOf, bool followCallees)
    {
        if (call.Target is not { } target)
        {
            yield break;
        }

        var site = OperationLocations.Of(call.Syntax);
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

        if (target.MethodKind == MethodKind.DelegateInvoke || !followCallees)
        {
            yield break;
        }

        foreach (var implementation in _graph.Implementations(target, call.Dispatch))
        {
            if (!MethodKey.HasBody(implementation, _model.Compilation))
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

    // ---- one summary -------------------------------------------------------------------------------------

    /// <summary>A summary from the body's facts and its callees' summaries, each with the calls left to spend
    /// below it (a callee reached through k steps of a chain gets the budget less k).</summary>
    [MethodImpl(Jit.Optimized)]
    private MethodSummary Summarize(IMethodSymbol node, int budget, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (budget == 0 && SkipCalleesWithoutBudget && SkipQuietBodiesWithoutBudget && !_model.Filter.MayActAlone(node, cancellationToken))
        {
            // With no call left to follow, only what the body does itself counts, and its text says it does nothing
            // a summary records: it is not bound.
            return MethodSummary.Empty;
        }

        var facts = _model.BodyOf(node, cancellationToken);
        if (facts is null)
        {
            return MethodSummary.Empty;
        }

        // A callee reached through a chain of k steps (one for a call, two for a stored delegate) spends k.
        MethodSummary SummaryOf(IMethodSymbol callee, int steps = 1) => Get(callee, budget - steps, cancellationToken);

        // With no call left to spend (the deepest methods a region reaches, most of those a summary analyses), every
        // callee's summary is empty: what a call may run is not asked (subtypes, implementations, delegates by type),
        // as it could add nothing. Every chain to a callee has at least one step.
        bool followCallees = budget > 0 || !SkipCalleesWithoutBudget;

        var acquires = new Dictionary<LockClass, SummaryAcquire>();
        Witness? sleep = null;
        Witness? wait = null;
        int maxDepth = budget;
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
            var site = OperationLocations.Of(acquisition.Syntax);
            var lockClass = acquisition.Lock.Class;
            if (acquisition.Place != LockPlace.Fresh)
            {
                AddAcquire(new SummaryAcquire(lockClass, acquisition.Event.MayWait, acquisition.IsTry, Chain.Of("acquiring " + lockClass.Display, site), acquisition.Dropped, acquisition.Place)
                {
                    Mode = acquisition.Event.Mode,
                    Needs = SummaryAcquire.NeedsOf(acquisition.Place, acquisition.Lock.Instance),
                    Back = acquisition.Place == LockPlace.Owner ? (acquisition.Lock.Instance as AccessPath.Member)?.Symbol.OriginalDefinition : null,
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
                var step = new Witness(Chain.Of(call.Blocking, OperationLocations.Of(call.Syntax)), call.Dropped);
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
                    if (Invokes(target, forwarded.Ordinal, budget - 1, cancellationToken))
                    {
                        invoked.Add(forwarded.CallerParameter);
                        InvokedUnder(forwarded.CallerParameter, call.Held);
                        foreach (var implementation in followCallees ? _graph.Implementations(target, call.Dispatch) : Enumerable.Empty<IMethodSymbol>())
                        {
                            if (SummaryOf(implementation).InvokedUnder.TryGetValue(forwarded.Ordinal, out var below))
                            {
                                InvokedUnder(forwarded.CallerParameter, below);
                            }
                        }
                    }
                }
            }

            foreach (var callee in followCallees ? CalleesOf(call, budget, cancellationToken) : Enumerable.Empty<EffectiveCallee>())
            {
                var summary = SummaryOf(callee.Method, callee.Prefix.Steps.Items.Length);
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
                foreach (var (path, chain) in FreedBy(call, m => SummaryOf(m), followCallees))
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
}
