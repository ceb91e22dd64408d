using System;
using System.Threading;

namespace SampleCache.Kernel;

/// <summary>
/// A reference count with a release callback (<c>struct kref</c>). Whoever drops the last
/// reference runs the release synchronously, inside <see cref="Put"/>.
/// </summary>
public sealed class Kref<T>
    where T : class
{
    private readonly T _owner;
    private int _count;

    /// <summary><c>kref_init</c>: the count starts at one.</summary>
    public Kref(T owner)
    {
        _owner = owner;
        _count = 1;
    }

    public int Count => Volatile.Read(ref _count);

    /// <summary><c>kref_get</c>: never sleeps. Taking a reference on a zero count is a use after free.</summary>
    public void Get()
    {
        int now = Interlocked.Increment(ref _count);
        if (now <= 1)
        {
            Interlocked.Decrement(ref _count);
            Kernel.RecordOops($"kref_get on a zero refcount of {_owner} (use after free)");
            throw new InvalidOperationException($"kref_get on a released object {_owner}.");
        }
    }

    /// <summary><c>kref_get_unless_zero</c>.</summary>
    public bool GetUnlessZero()
    {
        int seen = Volatile.Read(ref _count);
        while (seen > 0)
        {
            int prior = Interlocked.CompareExchange(ref _count, seen + 1, seen);
            if (prior == seen)
            {
                return true;
            }

            seen = prior;
        }

        return false;
    }

    /// <summary>
    /// <c>kref_put</c>: drops a reference; when it was the last, runs <paramref name="release"/> on
    /// the owner before returning true.
    /// </summary>
    public bool Put(Action<T> release)
    {
        ArgumentNullException.ThrowIfNull(release);
        int now = Interlocked.Decrement(ref _count);
        if (now < 0)
        {
            Interlocked.Increment(ref _count);
            Kernel.RecordOops($"refcount underflow on {_owner}");
            throw new InvalidOperationException($"kref_put below zero on {_owner}.");
        }

        if (now == 0)
        {
            release(_owner);
            return true;
        }

        return false;
    }
}
