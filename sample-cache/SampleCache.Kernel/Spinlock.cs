using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Threading;

namespace SampleCache.Kernel;

/// <summary>
/// A real, non-reentrant busy-waiting lock in the style of the kernel's <c>spinlock_t</c>.
/// Holding one puts the thread in "atomic context": <see cref="Kernel.MightSleep"/> reports any
/// attempt to sleep while <see cref="HeldByCurrentThread"/> is non-zero. A spinlock initialised with
/// a <see cref="LockClass"/> is also checked by the <see cref="LockValidator"/> when it is enabled.
/// </summary>
public sealed class Spinlock
{
    // Per-thread atomic-context bookkeeping: how many spinlocks this thread holds, and which.
    [ThreadStatic]
    private static int t_depth;

    [ThreadStatic]
    private static List<Spinlock>? t_held;

    private int _owner; // managed thread id of the holder, 0 when free

    /// <summary>A spinlock outside any lock class: the validator does not see it.</summary>
    public Spinlock(string name = "spinlock")
    {
        Name = name;
    }

    /// <summary>
    /// <c>spin_lock_init</c> with a class key: the lock belongs to <paramref name="lockClass"/> (a row of
    /// <c>lockorder.json</c>) and is named after it.
    /// </summary>
    public Spinlock(LockClass lockClass)
    {
        Class = lockClass ?? throw new ArgumentNullException(nameof(lockClass));
        Name = lockClass.Name;
    }

    /// <summary>A label used in diagnostics (for example <c>cfid_list_lock</c>).</summary>
    public string Name { get; }

    /// <summary>The lock class the validator checks this lock as, if it was given one.</summary>
    public LockClass? Class { get; }

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

    /// <summary>
    /// <c>spin_lock</c>. The caller's member, file and line are recorded by the validator as the place the
    /// lock was taken (lockdep's acquire ip); callers never pass them.
    /// </summary>
    public void Lock([CallerMemberName] string caller = "", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        int me = Environment.CurrentManagedThreadId;
        LockValidator.WillAcquire(this, Class, spins: true, caller, file, line);
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
        LockValidator.Acquired(this, Class, spins: true, byTryLock: false, caller, file, line);
    }

    /// <summary><c>spin_trylock</c>: never waits, so it adds no dependency, but the lock counts as held.</summary>
    public bool TryLock([CallerMemberName] string caller = "", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        int me = Environment.CurrentManagedThreadId;
        if (Interlocked.CompareExchange(ref _owner, me, 0) != 0)
        {
            return false;
        }

        Enter();
        LockValidator.Acquired(this, Class, spins: true, byTryLock: true, caller, file, line);
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
        LockValidator.Released(this);
        Volatile.Write(ref _owner, 0);
    }

    private void Enter()
    {
        t_depth++;
        (t_held ??= new List<Spinlock>()).Add(this);
    }

    public override string ToString() => Name;
}
