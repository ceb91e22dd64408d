using System;
using System.Runtime.CompilerServices;
using System.Threading;

namespace SampleCache.Kernel;

/// <summary>
/// A real sleeping mutex in the style of the kernel's <c>struct mutex</c>: non-recursive, owned,
/// and a sleeping operation (so <see cref="Lock"/> reports itself through
/// <see cref="Kernel.MightSleep"/>). A mutex initialised with a <see cref="LockClass"/> is also checked
/// by the <see cref="LockValidator"/> when it is enabled.
/// </summary>
public sealed class KMutex
{
    private readonly SemaphoreSlim _sem = new(1, 1);
    private int _owner;

    /// <summary>A mutex outside any lock class: the validator does not see it.</summary>
    public KMutex(string name = "mutex")
    {
        Name = name;
    }

    /// <summary><c>mutex_init</c> with a class key: the mutex belongs to <paramref name="lockClass"/> and is named after it.</summary>
    public KMutex(LockClass lockClass)
    {
        Class = lockClass ?? throw new ArgumentNullException(nameof(lockClass));
        Name = lockClass.Name;
    }

    public string Name { get; }

    /// <summary>The lock class the validator checks this mutex as, if it was given one.</summary>
    public LockClass? Class { get; }

    public bool IsLocked => Volatile.Read(ref _owner) != 0;

    public bool IsHeldByCurrentThread => Volatile.Read(ref _owner) == Environment.CurrentManagedThreadId;

    /// <summary>
    /// <c>mutex_lock</c>. The caller's member, file and line are recorded by the validator as the place the
    /// mutex was taken; callers never pass them.
    /// </summary>
    public void Lock([CallerMemberName] string caller = "", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        Kernel.MightSleepAcquiring(this);
        int me = Environment.CurrentManagedThreadId;
        LockValidator.WillAcquire(this, Class, spins: false, caller, file, line);
        if (Volatile.Read(ref _owner) == me)
        {
            // The kernel would hang here forever; report and fail instead.
            Kernel.RecordOops($"recursive mutex_lock of {Name} by its owner (self-deadlock)");
            throw new InvalidOperationException($"Recursive acquisition of mutex '{Name}' (self-deadlock).");
        }

        _sem.Wait();
        Volatile.Write(ref _owner, me);
        LockValidator.Acquired(this, Class, spins: false, byTryLock: false, caller, file, line);
    }

    /// <summary><c>mutex_trylock</c>: never waits, so it adds no dependency, but the mutex counts as held.</summary>
    public bool TryLock([CallerMemberName] string caller = "", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        if (!_sem.Wait(0))
        {
            return false;
        }

        Volatile.Write(ref _owner, Environment.CurrentManagedThreadId);
        LockValidator.Acquired(this, Class, spins: false, byTryLock: true, caller, file, line);
        return true;
    }

    public void Unlock()
    {
        if (Volatile.Read(ref _owner) != Environment.CurrentManagedThreadId)
        {
            Kernel.RecordOops($"mutex_unlock of {Name} by a thread that does not own it");
            throw new InvalidOperationException($"Mutex '{Name}' released by a thread that does not own it.");
        }

        LockValidator.Released(this);
        Volatile.Write(ref _owner, 0);
        _sem.Release();
    }

    public override string ToString() => Name;
}
