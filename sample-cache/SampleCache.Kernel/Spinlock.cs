using System;
using System.Collections.Generic;
using System.Threading;

namespace SampleCache.Kernel;

/// <summary>
/// A real, non-reentrant busy-waiting lock in the style of the kernel's <c>spinlock_t</c>.
/// Holding one puts the thread in "atomic context": <see cref="Kernel.MightSleep"/> reports any
/// attempt to sleep while <see cref="HeldByCurrentThread"/> is non-zero.
/// </summary>
public sealed class Spinlock
{
    // Per-thread atomic-context bookkeeping: how many spinlocks this thread holds, and which.
    [ThreadStatic]
    private static int t_depth;

    [ThreadStatic]
    private static List<Spinlock>? t_held;

    private int _owner; // managed thread id of the holder, 0 when free

    public Spinlock(string name = "spinlock")
    {
        Name = name;
    }

    /// <summary>A label used in diagnostics (for example <c>cfid_list_lock</c>).</summary>
    public string Name { get; }

    /// <summary>The number of spinlocks the calling thread holds: its atomic context depth.</summary>
    public static int HeldByCurrentThread => t_depth;

    /// <summary>Names of the spinlocks the calling thread holds, in acquisition order.</summary>
    public static IReadOnlyList<string> HeldNamesForCurrentThread
    {
        get
        {
            var held = t_held;
            if (held is null || held.Count == 0)
            {
                return Array.Empty<string>();
            }

            var names = new string[held.Count];
            for (int i = 0; i < held.Count; i++)
            {
                names[i] = held[i].Name;
            }

            return names;
        }
    }

    /// <summary>True when the calling thread is the holder.</summary>
    public bool IsHeldByCurrentThread => Volatile.Read(ref _owner) == Environment.CurrentManagedThreadId;

    /// <summary>True when some thread holds the lock.</summary>
    public bool IsLocked => Volatile.Read(ref _owner) != 0;

    public void Lock()
    {
        int me = Environment.CurrentManagedThreadId;
        if (Volatile.Read(ref _owner) == me)
        {
            // A second acquisition by the holder would spin forever: report it as the kernel's
            // lock debugging would instead of hanging the test host.
            Kernel.RecordOops($"recursive spin_lock of {Name} by its holder");
            throw new InvalidOperationException($"Recursive acquisition of spinlock '{Name}' (self-deadlock).");
        }

        if (Interlocked.CompareExchange(ref _owner, me, 0) != 0)
        {
            var spinner = new SpinWait();
            do
            {
                spinner.SpinOnce();
            }
            while (Volatile.Read(ref _owner) != 0 || Interlocked.CompareExchange(ref _owner, me, 0) != 0);
        }

        Enter();
    }

    public bool TryLock()
    {
        int me = Environment.CurrentManagedThreadId;
        if (Interlocked.CompareExchange(ref _owner, me, 0) != 0)
        {
            return false;
        }

        Enter();
        return true;
    }

    public void Unlock()
    {
        int me = Environment.CurrentManagedThreadId;
        if (Volatile.Read(ref _owner) != me)
        {
            Kernel.RecordOops($"spin_unlock of {Name} by a thread that does not hold it");
            throw new InvalidOperationException($"Spinlock '{Name}' released by a thread that does not hold it.");
        }

        t_depth--;
        t_held?.Remove(this);
        Volatile.Write(ref _owner, 0);
    }

    private void Enter()
    {
        t_depth++;
        (t_held ??= new List<Spinlock>()).Add(this);
    }

    public override string ToString() => Name;
}
