using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading;

namespace SampleCache.Kernel;

/// <summary>One "sleeping function called from invalid context" report.</summary>
public sealed class AtomicSleepViolation
{
    public AtomicSleepViolation(string caller, IReadOnlyList<string> heldLocks, int threadId, string stack)
        : this(caller, heldLocks, threadId, stack, acquiringLock: null, heldLockSites: Array.Empty<HeldLockInfo>())
    {
    }

    public AtomicSleepViolation(
        string caller, IReadOnlyList<string> heldLocks, int threadId, string stack, string? acquiringLock,
        IReadOnlyList<HeldLockInfo> heldLockSites)
    {
        Caller = caller;
        HeldLocks = heldLocks;
        ThreadId = threadId;
        Stack = stack;
        AcquiringLock = acquiringLock;
        HeldLockSites = heldLockSites;
    }

    /// <summary>The member that announced it may sleep (for example <c>Put</c> for a dentry put).</summary>
    public string Caller { get; }

    /// <summary>The spinlocks the thread held at that moment.</summary>
    public IReadOnlyList<string> HeldLocks { get; }

    public int ThreadId { get; }

    /// <summary>With the <see cref="LockValidator"/> on, also with files and lines.</summary>
    public string Stack { get; }

    /// <summary>When the sleep is the acquisition of a <see cref="KMutex"/>: that mutex's name.</summary>
    public string? AcquiringLock { get; }

    /// <summary>
    /// With the <see cref="LockValidator"/> on: the classed locks the thread held and where each was taken
    /// (empty when the validator is off).
    /// </summary>
    public IReadOnlyList<HeldLockInfo> HeldLockSites { get; }

    public override string ToString()
    {
        string what = AcquiringLock is null ? Caller : $"{Caller} (acquiring mutex {AcquiringLock})";
        string sites = string.Concat(HeldLockSites.Select((h, i) => $"{Environment.NewLine}  #{i}: {h}"));
        return $"BUG: sleeping function called from invalid context at {what}; atomic depth {HeldLocks.Count} " +
            $"(holding {string.Join(", ", HeldLocks)}) on thread {ThreadId}{sites}{Environment.NewLine}{Stack}";
    }
}

/// <summary>
/// Kernel-wide helpers: the sleep checks (<c>might_sleep</c>, <c>msleep</c>) and an oops log where
/// detected misuse (refcount underflow, use after free, double unlock, crashed work items) is kept
/// instead of bringing the process down.
/// </summary>
public static class Kernel
{
    /// <summary>Ticks per second of <see cref="JiffiesClock"/>.</summary>
    public const long HZ = JiffiesClock.HZ;

    private static readonly object s_gate = new();
    private static readonly List<AtomicSleepViolation> s_violations = new();
    private static readonly List<string> s_oopses = new();
    private static long s_msleepCalls;

    /// <summary>
    /// Every time something that may sleep ran while the thread held a <see cref="Spinlock"/>
    /// (the equivalent of a CONFIG_DEBUG_ATOMIC_SLEEP splat). A snapshot; thread-safe.
    /// </summary>
    public static IReadOnlyList<AtomicSleepViolation> AtomicSleepViolations
    {
        get
        {
            lock (s_gate)
            {
                return s_violations.ToArray();
            }
        }
    }

    /// <summary>Misuse detected at run time (a snapshot; thread-safe).</summary>
    public static IReadOnlyList<string> Oopses
    {
        get
        {
            lock (s_gate)
            {
                return s_oopses.ToArray();
            }
        }
    }

    /// <summary>How many times <see cref="Msleep"/> ran.</summary>
    public static long MsleepCalls => Interlocked.Read(ref s_msleepCalls);

    public static void ClearAtomicSleepViolations()
    {
        lock (s_gate)
        {
            s_violations.Clear();
        }
    }

    public static void ClearOopses()
    {
        lock (s_gate)
        {
            s_oopses.Clear();
        }
    }

    /// <summary>
    /// Announces that the caller may sleep. When the current thread holds any spinlock, records an
    /// <see cref="AtomicSleepViolation"/> (and carries on, so buggy code can still be exercised).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void MightSleep([CallerMemberName] string caller = "")
    {
        if (Spinlock.HeldByCurrentThread != 0)
        {
            RecordAtomicSleep(caller, acquiringLock: null);
        }
    }

    /// <summary><see cref="MightSleep"/> for the acquisition of a sleeping lock, which the report names.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static void MightSleepAcquiring(KMutex mutex, [CallerMemberName] string caller = "")
    {
        if (Spinlock.HeldByCurrentThread != 0)
        {
            RecordAtomicSleep(caller, mutex.Name);
        }
    }

    // Skips itself and the MightSleep variant that called it. With the lock validator on, the report also
    // says where each held lock was taken and its stack has files and lines, as lockdep's splats do.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void RecordAtomicSleep(string caller, string? acquiringLock)
    {
        bool detailed = LockValidator.IsEnabled;
        var violation = new AtomicSleepViolation(
            caller,
            Spinlock.HeldNamesForCurrentThread,
            Environment.CurrentManagedThreadId,
            new StackTrace(2, detailed).ToString(),
            acquiringLock,
            detailed ? LockValidator.HeldByCurrentThread() : Array.Empty<HeldLockInfo>());
        lock (s_gate)
        {
            s_violations.Add(violation);
        }
    }

    /// <summary>Sleeps for at least <paramref name="ms"/> milliseconds (<c>msleep</c>).</summary>
    public static void Msleep(int ms)
    {
        MightSleep();
        Interlocked.Increment(ref s_msleepCalls);
        Thread.Sleep(Math.Max(0, ms));
    }

    /// <summary>Records a detected bug (the sample's "oops").</summary>
    public static void RecordOops(string what)
    {
        string entry = $"{what} [thread {Environment.CurrentManagedThreadId}]";
        lock (s_gate)
        {
            s_oopses.Add(entry);
        }
    }
}
