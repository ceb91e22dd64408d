using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace LockOrder.Engine.Model;

/// <summary>
/// What a boolean says about a lock: after <c>Monitor.Enter(o, ref taken)</c> the lock is held exactly when
/// <c>taken</c> is true; after <c>got = Monitor.TryEnter(o)</c> it is held exactly when <c>got</c> is true.
/// </summary>
/// <param name="AlreadyHeld">True when the lock was added at the acquisition (Enter with ref taken); false for
/// try-locks, whose lock is added only on the branch where the guard is true.</param>
internal sealed record Guard(HeldLock Lock, bool AlreadyHeld)
{
    public bool SameAs(Guard other) => Lock.SameLock(other.Lock) && AlreadyHeld == other.AlreadyHeld;
}

/// <summary>
/// The abstract state of the lock-state dataflow: the ordered list of locks held on every path to this point (a
/// must-analysis: at a merge a lock counts as held only if held on every incoming path), the booleans that guard
/// locks, and the caller's locks this body has dropped. Immutable; <see cref="LockDomain"/> is its lattice.
/// </summary>
/// <param name="Guards">Keyed by the guarding local (<see cref="ILocalSymbol"/>) or by the try-lock invocation
/// (<see cref="IOperation"/>) while its result has not been stored yet.</param>
/// <param name="Dropped">Lock classes this body released without having taken them, on every path to here: locks
/// its caller held and it has dropped (the callee side of unlock-sleep-relock). What it does next does not happen
/// under those locks of the caller.</param>
internal sealed record LockState(ImmutableArray<HeldLock> Held, ImmutableDictionary<object, Guard> Guards, ImmutableHashSet<LockClass> Dropped)
{
    public static readonly LockState Empty = new(ImmutableArray<HeldLock>.Empty, ImmutableDictionary<object, Guard>.Empty, ImmutableHashSet<LockClass>.Empty);

    /// <summary>The innermost held entry for a lock: the same instance, else (when either instance is unknown) any
    /// instance of the class; -1 when not held.</summary>
    public int IndexOf(LockRef lockRef)
    {
        for (int i = Held.Length - 1; i >= 0; i--)
        {
            if (ReferenceEquals(Held[i].Class, lockRef.Class) && Equals(Held[i].Instance, lockRef.Instance))
            {
                return i;
            }
        }

        for (int i = Held.Length - 1; i >= 0; i--)
        {
            if (ReferenceEquals(Held[i].Class, lockRef.Class) && (lockRef.Instance is null || Held[i].Instance is null))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>The innermost held entry that is exactly this lock (class and instance); -1 when not held.</summary>
    public int IndexOfExact(HeldLock entry)
    {
        for (int i = Held.Length - 1; i >= 0; i--)
        {
            if (Held[i].SameLock(entry))
            {
                return i;
            }
        }

        return -1;
    }
}

/// <summary>The lattice of <see cref="LockState"/>: meet, equality, and where states disagree.</summary>
internal static class LockDomain
{
    /// <summary>Locks held in both (order of the first, smaller count), guards equal in both, dropped in both.</summary>
    public static LockState Meet(LockState a, LockState b)
    {
        if (ReferenceEquals(a, b))
        {
            return a;
        }

        var held = ImmutableArray.CreateBuilder<HeldLock>();
        foreach (var x in a.Held)
        {
            var y = b.Held.FirstOrDefault(h => h.SameLock(x));
            if (y is not null)
            {
                held.Add(y.Count < x.Count ? x with { Count = y.Count } : x);
            }
        }

        var guards = a.Guards;
        foreach (var pair in a.Guards)
        {
            if (!b.Guards.TryGetValue(pair.Key, out var other) || !other.SameAs(pair.Value))
            {
                guards = guards.Remove(pair.Key);
            }
        }

        return new LockState(held.ToImmutable(), guards, a.Dropped.Intersect(b.Dropped));
    }

    /// <summary>Equal as lattice elements: the same locks (class, instance, count) in the same order, the same
    /// guards, the same dropped classes. Acquisition sites do not count.</summary>
    public static bool Equal(LockState a, LockState b)
    {
        if (ReferenceEquals(a, b))
        {
            return true;
        }

        if (a.Held.Length != b.Held.Length || a.Guards.Count != b.Guards.Count || !a.Dropped.SetEquals(b.Dropped))
        {
            return false;
        }

        for (int i = 0; i < a.Held.Length; i++)
        {
            if (!a.Held[i].SameLock(b.Held[i]) || a.Held[i].Count != b.Held[i].Count)
            {
                return false;
            }
        }

        foreach (var pair in a.Guards)
        {
            if (!b.Guards.TryGetValue(pair.Key, out var g) || !g.SameAs(pair.Value))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Locks held in some of the given states but not all of them.</summary>
    public static IReadOnlyList<HeldLock> Disagreement(IReadOnlyList<LockState> states)
    {
        var result = new List<HeldLock>();
        foreach (var s in states)
        {
            foreach (var h in s.Held)
            {
                if (result.Any(r => r.SameLock(h)))
                {
                    continue;
                }

                if (states.Any(o => !o.Held.Any(x => x.SameLock(h) && x.Count == h.Count)))
                {
                    result.Add(h);
                }
            }
        }

        return result;
    }

    /// <summary>What held on every one of two visits of an operation (a body analysed under several finally
    /// continuations keeps, per operation, the locks held on all of them).</summary>
    public static ImmutableArray<HeldLock> Intersect(ImmutableArray<HeldLock> a, ImmutableArray<HeldLock> b)
        => a.Where(x => b.Any(y => y.SameLock(x))).ToImmutableArray();
}
