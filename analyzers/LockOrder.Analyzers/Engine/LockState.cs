using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;

namespace LockOrder.Engine;

/// <summary>
/// What a boolean says about a lock: after <c>Monitor.Enter(o, ref taken)</c> the lock is held exactly when
/// <c>taken</c> is true; after <c>got = Monitor.TryEnter(o)</c> it is held exactly when <c>got</c> is true.
/// </summary>
internal sealed class Guard
{
    public Guard(HeldLock lockEntry, bool alreadyHeld)
    {
        Lock = lockEntry;
        AlreadyHeld = alreadyHeld;
    }

    public HeldLock Lock { get; }

    /// <summary>True when the lock was added at the acquisition (Enter with ref taken); false for try-locks,
    /// whose lock is added only on the branch where the guard is true.</summary>
    public bool AlreadyHeld { get; }
}

/// <summary>
/// The abstract state of the lock-state dataflow: the ordered list of locks held on every path to this point
/// (a must-analysis: at a merge a lock counts as held only if held on every incoming path), plus the booleans
/// that guard locks. Immutable.
/// </summary>
internal sealed class LockState
{
    public static readonly LockState Empty = new(ImmutableArray<HeldLock>.Empty, ImmutableDictionary<object, Guard>.Empty, ImmutableHashSet<LockClass>.Empty);

    public LockState(ImmutableArray<HeldLock> held, ImmutableDictionary<object, Guard> guards, ImmutableHashSet<LockClass> dropped)
    {
        Held = held;
        Guards = guards;
        Dropped = dropped;
    }

    /// <summary>Lock classes this body released without having taken them, on every path to here: locks its
    /// caller held and it has dropped (the callee side of unlock-sleep-relock). What it does next does not
    /// happen under those locks of the caller.</summary>
    public ImmutableHashSet<LockClass> Dropped { get; }

    public ImmutableArray<HeldLock> Held { get; }

    /// <summary>Keyed by the guarding local (ILocalSymbol) or by the try-lock invocation (IOperation) while its
    /// result has not been stored yet.</summary>
    public ImmutableDictionary<object, Guard> Guards { get; }

    public LockState WithHeld(ImmutableArray<HeldLock> held) => new(held, Guards, Dropped);

    public LockState WithGuards(ImmutableDictionary<object, Guard> guards) => new(Held, guards, Dropped);

    public LockState WithDropped(ImmutableHashSet<LockClass> dropped) => new(Held, Guards, dropped);

    public int IndexOf(LockRef lockRef)
    {
        for (int i = Held.Length - 1; i >= 0; i--)
        {
            if (ReferenceEquals(Held[i].Class, lockRef.Class) && Held[i].Instance == lockRef.Instance)
            {
                return i;
            }
        }

        // An instance we cannot name matches any instance of the class.
        for (int i = Held.Length - 1; i >= 0; i--)
        {
            if (ReferenceEquals(Held[i].Class, lockRef.Class) && (lockRef.Instance is null || Held[i].Instance is null))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>The meet of two states: locks held in both (order of the first, smaller count), guards equal in both.</summary>
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
                held.Add(y.Count < x.Count ? x.WithCount(y.Count) : x);
            }
        }

        var guards = a.Guards;
        foreach (var pair in a.Guards)
        {
            if (!b.Guards.TryGetValue(pair.Key, out var other) || !other.Lock.SameLock(pair.Value.Lock) || other.AlreadyHeld != pair.Value.AlreadyHeld)
            {
                guards = guards.Remove(pair.Key);
            }
        }

        return new LockState(held.ToImmutable(), guards, a.Dropped.Intersect(b.Dropped));
    }

    public bool SameAs(LockState other)
    {
        if (ReferenceEquals(this, other))
        {
            return true;
        }

        if (Held.Length != other.Held.Length || Guards.Count != other.Guards.Count || !Dropped.SetEquals(other.Dropped))
        {
            return false;
        }

        for (int i = 0; i < Held.Length; i++)
        {
            if (!Held[i].SameLock(other.Held[i]) || Held[i].Count != other.Held[i].Count)
            {
                return false;
            }
        }

        foreach (var pair in Guards)
        {
            if (!other.Guards.TryGetValue(pair.Key, out var g) || !g.Lock.SameLock(pair.Value.Lock) || g.AlreadyHeld != pair.Value.AlreadyHeld)
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
}
