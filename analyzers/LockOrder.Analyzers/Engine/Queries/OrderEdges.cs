using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using LockOrder.Engine.Calls;
using LockOrder.Engine.Flow;
using LockOrder.Engine.Model;
using LockOrder.Hierarchy;

namespace LockOrder.Engine.Queries;

/// <summary>A lock taken while another is held: in the body itself (an empty chain), or below a call made under it.</summary>
/// <param name="Held">The lock held (its acquisition site is the edge's origin).</param>
/// <param name="TakenInstance">The instance taken, when the acquisition is in the body and names it.</param>
/// <param name="Site">The acquisition, or the call under which the callee acquires.</param>
/// <param name="Chain">From the call down to the acquisition; empty for an acquisition in the body.</param>
/// <param name="Gates">The other lock classes held since before <see cref="Held"/> was taken (a common one across a
/// cycle's edges serialises them: a gate lock, which Goodlock and Infer use to rule the cycle out).</param>
/// <param name="Direction">Within the body's own object, down to an object it links to recursively (parent before
/// child), or unknown.</param>
internal sealed record OrderEdge(HeldLock Held, LockClass Taken, AccessPath? TakenInstance, bool MayWait, Microsoft.CodeAnalysis.SyntaxNode Site, Chain Chain,
    ImmutableHashSet<LockClass> Gates, EdgeDirection Direction)
{
    /// <summary>The mode taken (a reader-writer lock's read, upgradeable or write).</summary>
    public LockMode TakenMode { get; init; }

    /// <summary>The taken instance always comes after the held one by an order fixed by a key.</summary>
    public bool OrderedAfterHeld { get; init; }

    public bool SameClass => ReferenceEquals(Held.Class, Taken);

    /// <summary>A sleeping lock that may wait, taken while a spinlock is held: a sleep in atomic context (LOCK002's),
    /// whatever the table says of the two rows.</summary>
    public bool SleepsUnderSpinlock => Held.Class.IsSpinlock && Taken.Kind.MaySleep() && MayWait;

    /// <summary>The table orders the taken lock above the held one (LOCK001): both rows, or null when the edge is in
    /// the table's order, either lock is unlisted, or the edge is a sleep under a spinlock instead.</summary>
    public (LockDecl Taken, LockDecl Held)? OutOfOrder
        => Taken.Decl is { } taken && Held.Class.Decl is { } held && held.Row > taken.Row && !SleepsUnderSpinlock ? (taken, held) : null;
}

/// <summary>A call made while a lock is held, a method it runs, and that method's summary.</summary>
internal readonly record struct CallUnderLock(CallFact Call, EffectiveCallee Callee, MethodSummary Summary);

/// <summary>A delegate this body passes to a method that runs it while holding locks of its own: those locks, the
/// path from the call to the delegate, and the delegate's summary.</summary>
internal readonly record struct CallbackUnderLock(CallFact Call, ImmutableArray<HeldLock> Held, Chain Prefix, MethodSummary Summary);

/// <summary>
/// The order edges of a body, one query for every rule that reads them (LOCK001 against the table, LOCK003 within
/// one class, LOCK008 between classes): every lock that may wait, acquired here or in a callee, paired with every
/// lock held at that point that the callee has not dropped. Try-locks make no edge: they cannot wait, so they
/// cannot close a deadlock (lockdep does not record them either). Neither does re-acquiring a reentrant lock the
/// thread already holds: it cannot wait either (lockdep and Infer skip it too); only its same-class edge is kept,
/// for LOCK003. A delegate passed to a method that runs it under that method's own locks makes edges from those
/// locks, at the call that passes it.
/// </summary>
internal static class OrderEdges
{
    /// <summary>The body's edges, computed once per body: LOCK001, LOCK003 and LOCK008 each read them all.</summary>
    public static ImmutableArray<OrderEdge> Of(LockModel model, BodyFacts body, CancellationToken cancellationToken)
        => model.OrderEdgesOf(body, () => Direct(model, body, cancellationToken).Concat(CallbackEdges(model, body, cancellationToken)).ToImmutableArray());

    private static IEnumerable<OrderEdge> Direct(LockModel model, BodyFacts body, CancellationToken cancellationToken)
    {
        foreach (var acquisition in body.Acquisitions)
        {
            if (acquisition.IsTry)
            {
                continue;
            }

            var taken = acquisition.Lock;
            bool reentry = taken.Class.Reentrant && acquisition.HeldBefore.Any(h => ReferenceEquals(h.Class, taken.Class)
                && (h.Instance is null || taken.Instance is null || h.Instance.Equals(taken.Instance)));
            if (acquisition.Place == LockPlace.Fresh)
            {
                continue;
            }

            foreach (var held in acquisition.HeldBefore)
            {
                if (!reentry || ReferenceEquals(held.Class, taken.Class))
                {
                    yield return new OrderEdge(held, taken.Class, taken.Instance, acquisition.Event.MayWait, acquisition.Syntax, Chain.Empty,
                        Gates(acquisition.HeldBefore, held, taken.Class), Places.Direction(held.Instance, acquisition.Place))
                    {
                        TakenMode = acquisition.Event.Mode,
                        OrderedAfterHeld = held.Instance is not null && acquisition.OrderedAfter.Contains(held.Instance),
                    };
                }
            }
        }

        foreach (var (call, callee, summary) in CallsUnderLock(model, body, cancellationToken))
        {
            foreach (var calleeAcquire in summary.Acquires)
            {
                if (calleeAcquire.IsTry || model.Summaries.Seen(calleeAcquire, callee, call, body, cancellationToken) is not { } acquire || acquire.Chain.Depth > model.MaxCallDepth)
                {
                    continue;
                }

                var chain = acquire.Chain;

                bool reentry = acquire.Class.Reentrant && call.Held.Any(h => ReferenceEquals(h.Class, acquire.Class)) && !acquire.Dropped.Contains(acquire.Class);
                foreach (var held in call.Held)
                {
                    if (!acquire.Dropped.Contains(held.Class) && (!reentry || ReferenceEquals(held.Class, acquire.Class)))
                    {
                        yield return new OrderEdge(held, acquire.Class, null, acquire.MayWait, call.Syntax, chain,
                            Gates(call.Held.Where(h => !acquire.Dropped.Contains(h.Class)), held, acquire.Class), Places.Direction(held.Instance, acquire.Place))
                        {
                            TakenMode = acquire.Mode,
                        };
                    }
                }
            }
        }
    }

    private static IEnumerable<OrderEdge> CallbackEdges(LockModel model, BodyFacts body, CancellationToken cancellationToken)
    {
        foreach (var (call, held, prefix, summary) in CallbacksUnderLock(model, body, cancellationToken))
        {
            foreach (var acquire in summary.Acquires)
            {
                var chain = prefix.Then(acquire.Chain);
                if (acquire.IsTry || chain.Depth > model.MaxCallDepth || acquire.Place == LockPlace.Fresh)
                {
                    continue;
                }

                bool reentry = acquire.Class.Reentrant && held.Any(h => ReferenceEquals(h.Class, acquire.Class));
                foreach (var h in held)
                {
                    if (!acquire.Dropped.Contains(h.Class) && (!reentry || ReferenceEquals(h.Class, acquire.Class)))
                    {
                        yield return new OrderEdge(h, acquire.Class, null, acquire.MayWait, call.Syntax, chain, Gates(held, h, acquire.Class), EdgeDirection.Unknown)
                        {
                            TakenMode = acquire.Mode,
                        };
                    }
                }
            }
        }
    }

    /// <summary>The classes held since before <paramref name="from"/> was taken (the held list is in acquisition
    /// order): a lock taken after it cannot keep another thread from taking it.</summary>
    private static ImmutableHashSet<LockClass> Gates(IEnumerable<HeldLock> held, HeldLock from, LockClass to)
        => held.TakeWhile(h => !ReferenceEquals(h, from)).Select(h => h.Class)
            .Where(c => !ReferenceEquals(c, from.Class) && !ReferenceEquals(c, to)).ToImmutableHashSet();

    /// <summary>Each delegate argument of this body that its callee runs under locks the callee holds (a helper
    /// that takes a spinlock and runs the caller's lambda).</summary>
    public static IEnumerable<CallbackUnderLock> CallbacksUnderLock(LockModel model, BodyFacts body, CancellationToken cancellationToken)
    {
        foreach (var call in body.Calls)
        {
            if (call.Target is not { } target || call.Targets.DelegateArguments.IsEmpty)
            {
                continue;
            }

            var site = OperationLocations.Of(call.Syntax);
            foreach (var implementation in model.CallGraph.Implementations(target, call.Dispatch))
            {
                if (!MethodKey.HasBody(implementation, model.Compilation))
                {
                    continue;
                }

                var under = model.Summaries.Get(implementation, cancellationToken).InvokedUnder;
                foreach (var argument in call.Targets.DelegateArguments)
                {
                    if (under.TryGetValue(argument.Ordinal, out var held))
                    {
                        var prefix = Chain.Of(Findings.Display(implementation), site).Then(Findings.Display(argument.Target), OperationLocations.Of(argument.Argument));
                        yield return new CallbackUnderLock(call, held, prefix, model.Summaries.Get(argument.Target, cancellationToken));
                    }
                }
            }
        }
    }

    /// <summary>Each call made while a lock is held, with every method it may run and that method's summary.</summary>
    public static IEnumerable<CallUnderLock> CallsUnderLock(LockModel model, BodyFacts body, CancellationToken cancellationToken)
    {
        foreach (var call in body.Calls)
        {
            if (call.Held.IsEmpty)
            {
                continue;
            }

            foreach (var callee in model.Summaries.CalleesOf(call, cancellationToken))
            {
                yield return new CallUnderLock(call, callee, model.Summaries.Get(callee.Method, cancellationToken));
            }
        }
    }
}
