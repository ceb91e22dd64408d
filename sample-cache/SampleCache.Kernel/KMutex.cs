using System;
using System.Threading;

namespace SampleCache.Kernel;

/// <summary>
/// A real sleeping mutex in the style of the kernel's <c>struct mutex</c>: non-recursive, owned,
/// and a sleeping operation (so <see cref="Lock"/> reports itself through
/// <see cref="Kernel.MightSleep"/>).
/// </summary>
public sealed class KMutex
{
    private readonly SemaphoreSlim _sem = new(1, 1);
    private int _owner;

    public KMutex(string name = "mutex")
    {
        Name = name;
    }

    public string Name { get; }

    public bool IsLocked => Volatile.Read(ref _owner) != 0;

    public bool IsHeldByCurrentThread => Volatile.Read(ref _owner) == Environment.CurrentManagedThreadId;

    public void Lock()
    {
        Kernel.MightSleep();
        int me = Environment.CurrentManagedThreadId;
        if (Volatile.Read(ref _owner) == me)
        {
            // The kernel would hang here forever; report and fail instead.
            Kernel.RecordOops($"recursive mutex_lock of {Name} by its owner (self-deadlock)");
            throw new InvalidOperationException($"Recursive acquisition of mutex '{Name}' (self-deadlock).");
        }

        _sem.Wait();
        Volatile.Write(ref _owner, me);
    }

    public bool TryLock()
    {
        if (!_sem.Wait(0))
        {
            return false;
        }

        Volatile.Write(ref _owner, Environment.CurrentManagedThreadId);
        return true;
    }

    public void Unlock()
    {
        if (Volatile.Read(ref _owner) != Environment.CurrentManagedThreadId)
        {
            Kernel.RecordOops($"mutex_unlock of {Name} by a thread that does not own it");
            throw new InvalidOperationException($"Mutex '{Name}' released by a thread that does not own it.");
        }

        Volatile.Write(ref _owner, 0);
        _sem.Release();
    }

    public override string ToString() => Name;
}
