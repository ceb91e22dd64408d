using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using LockOrder.Engine.Calls;
using LockOrder.Engine.Flow;
using LockOrder.Engine.Model;
using LockOrder.Hierarchy;
using Microsoft.CodeAnalysis;

namespace LockOrder.Engine.Queries;

/// <summary>A call that blocks (itself, or somewhere below it) while a lock of interest is held.</summary>
/// <param name="What">How the message names it: "'Thread.Sleep'", or the first step of the chain to it.</param>
/// <param name="Chain">From the call down to the blocking call; empty when the call itself blocks.</param>
internal sealed record BlockingCall(SyntaxNode Site, string What, HeldLock Held, Chain Chain);

/// <summary>
/// Calls that block under a lock, one query for LOCK002 (sleeping under a spinlock) and LOCK009 (waiting under a
/// sleeping lock): a call the catalog says blocks, and a call whose callee blocks (its summary's witness) before it
/// drops the lock. Each call is reported once, under the first candidate lock that applies.
/// </summary>
internal static class BlockingCalls
{
    /// <summary>LOCK002's blocking calls: a call that may sleep, itself or below it, while a spinlock is held (the
    /// innermost spinlock that is still held where it sleeps).</summary>
    public static IEnumerable<BlockingCall> UnderSpinlock(LockModel model, BodyFacts body, CancellationToken cancellationToken)
        => Of(model, body, Spinlocks, (summary, held) => summary.SleepsUnder(held), cancellationToken);

    /// <summary>LOCK002's acquisitions: a sleeping lock that may wait, acquired in the body while a spinlock is
    /// held, with the innermost such spinlock.</summary>
    public static IEnumerable<(AcquireFact Acquisition, HeldLock Spinlock)> SleepingLocksUnderSpinlock(BodyFacts body)
    {
        foreach (var acquisition in body.Acquisitions)
        {
            if (acquisition.Event.MayWait && acquisition.Lock.Class.Kind.MaySleep() && Spinlocks(acquisition.HeldBefore).FirstOrDefault() is { } spin)
            {
                yield return (acquisition, spin);
            }
        }
    }

    /// <summary>The spinlocks held, innermost first.</summary>
    public static IEnumerable<HeldLock> Spinlocks(ImmutableArray<HeldLock> held) => held.Reverse().Where(h => h.Class.IsSpinlock);

    /// <param name="candidates">The held locks that matter, in the order to try them (innermost first).</param>
    /// <param name="witness">The path to the blocking call in a callee's summary, while the caller still holds a class.</param>
    public static IEnumerable<BlockingCall> Of(LockModel model, BodyFacts body, Func<ImmutableArray<HeldLock>, IEnumerable<HeldLock>> candidates,
        Func<MethodSummary, LockClass, Chain?> witness, CancellationToken cancellationToken)
    {
        foreach (var call in body.Calls)
        {
            if (call.Blocking is not null)
            {
                foreach (var held in candidates(call.Held))
                {
                    yield return new BlockingCall(call.Syntax, $"'{call.Blocking}'", held, Chain.Empty);
                    break;
                }
            }
        }

        var reported = new HashSet<SyntaxNode>();
        foreach (var (call, callee, summary) in OrderEdges.CallsUnderLock(model, body, cancellationToken))
        {
            if (call.Blocking is not null || reported.Contains(call.Syntax))
            {
                continue;
            }

            foreach (var held in candidates(call.Held))
            {
                if (witness(summary, held.Class) is { } chain && callee.Prefix.Then(chain) is { } full && full.Depth <= model.MaxCallDepth && reported.Add(call.Syntax))
                {
                    yield return new BlockingCall(call.Syntax, $"'{callee.Prefix.First.Text}'", held, full);
                }
            }
        }

        // A delegate this body passes to a method that runs it under that method's own locks.
        foreach (var (call, calleeHeld, prefix, summary) in OrderEdges.CallbacksUnderLock(model, body, cancellationToken))
        {
            foreach (var held in candidates(calleeHeld))
            {
                if (witness(summary, held.Class) is { } chain && prefix.Then(chain) is { } full && full.Depth <= model.MaxCallDepth && reported.Add(call.Syntax))
                {
                    yield return new BlockingCall(call.Syntax, $"'{prefix.Steps.Items[1].Text}'", held, full);
                }
            }
        }
    }
}
