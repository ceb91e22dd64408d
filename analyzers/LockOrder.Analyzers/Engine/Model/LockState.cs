using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;

namespace LockOrder.Engine.Model;

/// <summary>What a boolean local is known to say about a lock.</summary>
internal enum GuardKind
{
    /// <summary>The boolean is true and the lock is held (after <c>Monitor.Enter(o, ref taken)</c>).</summary>
    TrueAndHeld,

    /// <summary>The lock is held exactly when the boolean is true (after <c>Monitor.TryEnter(o, 50, ref taken)</c>,
    /// <c>taken = Monitor.TryEnter(o)</c>, or where paths of both kinds meet).</summary>
    HeldIffTrue,

    /// <summary>The boolean is false (<c>bool taken = false</c>), so whatever it guards is not held.</summary>
    False,

    /// <summary>A <c>ref bool</c> parameter the body only reads or sets to false: the caller's taken flag, true when
    /// the caller holds the lock it took with it (which one, the body does not know).</summary>
    CallerFlag,

    /// <summary>That flag is true on this path: the caller holds its lock, and a release of a lock this body does not
    /// hold releases it (<c>if (taken) { Monitor.Exit(o); taken = false; }</c> in a release helper).</summary>
    CallerHolds,
}

/// <summary>
/// A small relational fact tying a local to a lock: the domain that keeps <c>lockTaken</c> and try-lock results
/// correlated with the lock through conditions, merges and finally regions. A reference-typed local can guard a
/// lock too, with "not null" for true: in hand-over-hand locking (<c>Monitor.Enter(next); if (prev != null)
/// Monitor.Exit(prev); prev = next;</c>) <c>prev</c> names the object of the lock held from the last round, and is
/// null exactly when none is.
/// </summary>
/// <param name="Lock">The lock the local speaks of; null for <see cref="GuardKind.False"/>.</param>
internal sealed record Guard(HeldLock? Lock, GuardKind Kind)
{
    public static readonly Guard False = new(null, GuardKind.False);

    /// <summary>A caller's taken flag, on entry (see <see cref="GuardKind.CallerFlag"/>).</summary>
    public static readonly Guard CallerFlag = new(null, GuardKind.CallerFlag);

    /// <summary>A caller's taken flag known to be true.</summary>
    public static readonly Guard CallerHolds = new(null, GuardKind.CallerHolds);

    /// <summary>A reference local known to be null.</summary>
    public static readonly Guard Null = new(null, GuardKind.False) { Reference = true };

    /// <summary>The local is a reference (true: not null), not a boolean.</summary>
    public bool Reference { get; init; }

    /// <summary>For a reference local: it refers to the object the lock lives in (<c>prev = cur</c> with
    /// <c>cur.Gate</c> held), not to the lock object itself.</summary>
    public bool ToInstance { get; init; }

    /// <summary>For a reference local: the lock as named through the local itself (<c>Monitor.Exit(prev)</c>,
    /// <c>prev.Gate</c>). Where paths that name different locks through the local meet (the last round's box of one
    /// loop or of another), this stands for whichever it is.</summary>
    public HeldLock? Variable { get; init; }

    public bool SameAs(Guard other)
        => Kind == other.Kind && Reference == other.Reference && ToInstance == other.ToInstance
           && (Lock is null ? other.Lock is null : other.Lock is not null && Lock.SameLock(other.Lock));
}

/// <summary>
/// The abstract state of the lock-state dataflow: the ordered list of locks held on every path to this point (a
/// must-analysis: at a merge a lock counts as held only if held on every incoming path), the booleans that guard
/// locks, and the caller's locks this body has dropped. Immutable; <see cref="LockDomain"/> is its lattice.
/// </summary>
/// <param name="Guards">Keyed by the guarding local (<see cref="ILocalSymbol"/>), a caller's taken flag
/// (<see cref="IParameterSymbol"/>), or by the try-lock invocation (<see cref="IOperation"/>) while its result has not
/// been stored yet.</param>
/// <param name="Dropped">Lock classes this body released without having taken them, on every path to here: locks
/// its caller held and it has dropped (the callee side of unlock-sleep-relock). What it does next does not happen
/// under those locks of the caller.</param>
internal sealed record LockState(ImmutableArray<HeldLock> Held, ImmutableDictionary<object, Guard> Guards, ImmutableHashSet<LockClass> Dropped)
{
    /// <summary>On a path that returns, the constant boolean it returns, if any: a method that returns true exactly
    /// where it holds a lock it took is a try-acquire wrapper, not a leak.</summary>
    public bool? Returned { get; init; }

    public static readonly LockState Empty = new(ImmutableArray<HeldLock>.Empty, ImmutableDictionary<object, Guard>.Empty, ImmutableHashSet<LockClass>.Empty);

    /// <summary>The state a body starts in: nothing held, and each of its callers' taken flags unknown.</summary>
    public static LockState Entry(ImmutableArray<IParameterSymbol> callerFlags)
        => callerFlags.IsEmpty ? Empty : Empty with { Guards = Empty.Guards.SetItems(callerFlags.Select(p => new KeyValuePair<object, Guard>(p, Guard.CallerFlag))) };

    /// <summary>Whether a caller's taken flag is known to be true here.</summary>
    public bool CallerHolds => !Guards.IsEmpty && Guards.Values.Any(g => g.Kind == GuardKind.CallerHolds);

    /// <summary>The innermost held entry for a lock (in <paramref name="mode"/>, when given): the same instance, else
    /// (when either instance is unknown) any instance of the class; -1 when not held.</summary>
    [MethodImpl(Jit.Optimized)]
    public int IndexOf(LockRef lockRef, LockMode? mode = null)
    {
        for (int i = Held.Length - 1; i >= 0; i--)
        {
            if (ReferenceEquals(Held[i].Class, lockRef.Class) && Equals(Held[i].Instance, lockRef.Instance) && (mode is null || Held[i].Mode == mode))
            {
                return i;
            }
        }

        for (int i = Held.Length - 1; i >= 0; i--)
        {
            if (ReferenceEquals(Held[i].Class, lockRef.Class) && (lockRef.Instance is null || Held[i].Instance is null) && (mode is null || Held[i].Mode == mode))
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
    [MethodImpl(Jit.Optimized)]
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
            var met = b.Guards.TryGetValue(pair.Key, out var other) ? MeetGuards(pair.Value, a, other, b) : null;
            if (met is null)
            {
                guards = guards.Remove(pair.Key);
            }
            else if (!ReferenceEquals(met, pair.Value))
            {
                guards = guards.SetItem(pair.Key, met);
            }
        }

        // A reference that names a held lock on both paths, a different one on each, names the lock it stands for.
        foreach (var guard in guards.Values)
        {
            if (guard is { Reference: true, Kind: GuardKind.TrueAndHeld, Lock: { } named } && !held.Any(h => h.SameLock(named)))
            {
                held.Add(named);
            }
        }

        return new LockState(held.ToImmutable(), guards, a.Dropped.Intersect(b.Dropped)) { Returned = a.Returned == b.Returned ? a.Returned : null };
    }

    /// <summary>
    /// The join of two facts about one boolean: "true and held" on one path and "held iff true" or "false (and not
    /// held)" on the other both mean "held iff true" after the merge, so <c>if (taken) Monitor.Exit(o)</c> releases
    /// exactly on the paths that hold the lock. Null when nothing is known any more.
    /// </summary>
    private static Guard? MeetGuards(Guard x, LockState xs, Guard y, LockState ys)
    {
        if (x.SameAs(y))
        {
            return x;
        }

        if (x.Lock is not null && y.Lock is not null)
        {
            if (x.Lock.SameLock(y.Lock) && x.ToInstance == y.ToInstance)
            {
                return x with { Kind = GuardKind.HeldIffTrue };
            }

            // Two locks named through one reference: from here on, the lock named through it.
            if (x.Reference && y.Reference && x.Variable is { } variable && y.Variable is { } other && variable.SameLock(other)
                && (x.Kind == GuardKind.TrueAndHeld || ys.IndexOfExact(x.Lock) < 0) && (y.Kind == GuardKind.TrueAndHeld || xs.IndexOfExact(y.Lock) < 0))
            {
                var kind = x.Kind == GuardKind.TrueAndHeld && y.Kind == GuardKind.TrueAndHeld ? GuardKind.TrueAndHeld : GuardKind.HeldIffTrue;
                return new Guard(variable, kind) { Reference = true, Variable = variable };
            }

            return null;
        }

        // One side says false: fine as long as that side does not hold the lock by other means.
        var (guard, falseSide) = x.Lock is not null ? (x, ys) : (y, xs);
        return guard.Lock is not null && falseSide.IndexOfExact(guard.Lock) < 0 ? guard with { Kind = GuardKind.HeldIffTrue } : null;
    }

    /// <summary>Equal as lattice elements: the same locks (class, instance, count) in the same order, the same
    /// guards, the same dropped classes. Acquisition sites do not count.</summary>
    [MethodImpl(Jit.Optimized)]
    public static bool Equal(LockState a, LockState b)
    {
        if (ReferenceEquals(a, b))
        {
            return true;
        }

        if (a.Held.Length != b.Held.Length || a.Guards.Count != b.Guards.Count || !a.Dropped.SetEquals(b.Dropped) || a.Returned != b.Returned)
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

    /// <summary>
    /// Locks held in some of the given states but not all of them, except where a boolean tells which (a guard
    /// "held iff true" survives the meet: <c>if (taken) Monitor.Exit(o)</c> will release exactly those). At the exit
    /// the guarded locks count too: a method that returns while a lock is held when its flag is true leaks it.
    /// </summary>
    [MethodImpl(Jit.Optimized)]
    public static IReadOnlyList<HeldLock> Disagreement(IReadOnlyList<LockState> states, bool atExit)
    {
        var met = states.Aggregate(Meet).Guards;
        var guarded = met.Values.Where(g => g.Kind == GuardKind.HeldIffTrue && g.Lock is not null).Select(g => g.Lock!).ToList();

        // A lock some path names through a reference that, after the meet, stands for whichever lock it names.
        bool NamedThrough(LockState state, HeldLock h) => met.Any(m => m.Value is { Reference: true, Variable: not null }
            && state.Guards.TryGetValue(m.Key, out var g) && g is { Reference: true, Kind: GuardKind.TrueAndHeld, Lock: { } named } && named.SameLock(h));

        var result = atExit ? guarded.Where(g => !states.All(s => s.IndexOfExact(g) >= 0)).ToList() : new List<HeldLock>();
        foreach (var s in states)
        {
            foreach (var h in s.Held)
            {
                if (result.Any(r => r.SameLock(h)))
                {
                    continue;
                }

                if (states.Any(o => !o.Held.Any(x => x.SameLock(h) && x.Count == h.Count)) && (atExit || !guarded.Any(g => g.SameLock(h)) && !NamedThrough(s, h))
                    && !(atExit && TryAcquireWrapper(states, h)))
                {
                    result.Add(h);
                }
            }
        }

        return result;
    }

    /// <summary>Every path returns a constant, and holds the lock exactly when it returns true.</summary>
    private static bool TryAcquireWrapper(IReadOnlyList<LockState> states, HeldLock h)
        => states.All(s => s.Returned is { } returned && returned == (s.IndexOfExact(h) >= 0));

    /// <summary>What held on every one of two visits of an operation (a body analysed under several finally
    /// continuations keeps, per operation, the locks held on all of them).</summary>
    [MethodImpl(Jit.Optimized)]
    public static ImmutableArray<HeldLock> Intersect(ImmutableArray<HeldLock> a, ImmutableArray<HeldLock> b)
        => a.Where(x => b.Any(y => y.SameLock(x))).ToImmutableArray();
}
