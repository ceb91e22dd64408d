using System.Collections.Generic;
using System.Threading;
using LockOrder.Engine.Calls;
using LockOrder.Engine.Flow;
using LockOrder.Engine.Model;

namespace LockOrder.Engine.Queries;

/// <summary>A lock taken while another is held: in the body itself (an empty chain), or below a call made under it.</summary>
/// <param name="Held">The lock held (its acquisition site is the edge's origin).</param>
/// <param name="TakenInstance">The instance taken, when the acquisition is in the body and names it.</param>
/// <param name="Site">The acquisition, or the call under which the callee acquires.</param>
/// <param name="Chain">From the call down to the acquisition; empty for an acquisition in the body.</param>
internal sealed record OrderEdge(HeldLock Held, LockClass Taken, AccessPath? TakenInstance, bool MayWait, Microsoft.CodeAnalysis.IOperation Site, Chain Chain)
{
    public bool SameClass => ReferenceEquals(Held.Class, Taken);
}

/// <summary>A call made while a lock is held, a method it runs, and that method's summary.</summary>
internal readonly record struct CallUnderLock(CallFact Call, EffectiveCallee Callee, MethodSummary Summary);

/// <summary>
/// The order edges of a body, one query for every rule that reads them (LOCK001 against the table, LOCK003 within
/// one class, LOCK008 between classes): every lock that may wait, acquired here or in a callee, paired with every
/// lock held at that point that the callee has not dropped. Try-locks make no edge: they cannot wait, so they
/// cannot close a deadlock (lockdep does not record them either).
/// </summary>
internal static class OrderEdges
{
    public static IEnumerable<OrderEdge> Of(LockModel model, BodyFacts body, CancellationToken cancellationToken)
    {
        foreach (var acquisition in body.Acquisitions)
        {
            if (acquisition.IsTry)
            {
                continue;
            }

            foreach (var held in acquisition.HeldBefore)
            {
                yield return new OrderEdge(held, acquisition.Lock.Class, acquisition.Lock.Instance, acquisition.Event.MayWait, acquisition.Operation, Chain.Empty);
            }
        }

        foreach (var (call, callee, summary) in CallsUnderLock(model, body, cancellationToken))
        {
            foreach (var acquire in summary.Acquires)
            {
                if (acquire.IsTry)
                {
                    continue;
                }

                foreach (var held in call.Held)
                {
                    if (!acquire.Dropped.Contains(held.Class))
                    {
                        yield return new OrderEdge(held, acquire.Class, null, acquire.MayWait, call.Operation, callee.Prefix.Then(acquire.Chain));
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
