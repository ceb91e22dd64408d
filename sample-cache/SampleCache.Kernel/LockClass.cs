using System;
using System.Collections.Concurrent;

namespace SampleCache.Kernel;

/// <summary>
/// A lock class (lockdep's <c>struct lock_class_key</c>): every lock of one kind of structure field
/// belongs to the same class, whatever the instance. The name is the lock's row name in
/// <c>lockorder.json</c> (for example <c>cached_fid->fid_lock</c>), which is how the
/// <see cref="LockValidator"/> finds the class's place in the declared order. A lock declares its
/// class when it is initialised: <c>new Spinlock(LockClass.Of("cached_fid->fid_lock"))</c>.
/// </summary>
public sealed class LockClass
{
    private static readonly ConcurrentDictionary<string, LockClass> s_classes = new(StringComparer.Ordinal);

    private LockClass(string name)
    {
        Name = name;
    }

    /// <summary>The class's name: the table row it belongs to.</summary>
    public string Name { get; }

    /// <summary>The class named <paramref name="name"/>: one object per name, shared by every lock of that class.</summary>
    public static LockClass Of(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return s_classes.GetOrAdd(name, n => new LockClass(n));
    }

    public override string ToString() => Name;
}
