using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Threading;

namespace SampleCache.Kernel;

/// <summary>
/// A directory entry in the mount's dentry cache. Dentries stay in the cache while unused (count
/// zero); <see cref="Get"/> pins one without sleeping, <see cref="Put"/> unpins it and may sleep.
/// </summary>
public sealed class Dentry
{
    private readonly ConcurrentDictionary<string, Dentry> _children = new(StringComparer.Ordinal);
    private int _count;

    internal Dentry(CifsSbInfo sb, Dentry? parent, string name, int baseline)
    {
        Sb = sb;
        Parent = parent;
        Name = name;
        Path = parent is null || parent.Path.Length == 0 ? name : parent.Path + "/" + name;
        Baseline = baseline;
        _count = baseline;
    }

    public CifsSbInfo Sb { get; }

    public Dentry? Parent { get; }

    /// <summary>The last path component ("" for the root).</summary>
    public string Name { get; }

    /// <summary>The path relative to the share root, components separated by '/'.</summary>
    public string Path { get; }

    /// <summary>The count the dentry rests at when nobody pins it (1 for the root, which the superblock holds).</summary>
    public int Baseline { get; }

    public int RefCount => Volatile.Read(ref _count);

    /// <summary>Pins counted since creation (for tests).</summary>
    public long TotalGets => Interlocked.Read(ref _gets);

    private long _gets;

    /// <summary><c>dget</c>: takes a reference. Never sleeps.</summary>
    public Dentry Get()
    {
        Interlocked.Increment(ref _count);
        Interlocked.Increment(ref _gets);
        return this;
    }

    /// <summary>
    /// <c>dput</c>: drops a reference. May sleep (the final put of a real dentry can evict the
    /// inode and do I/O), so it announces itself through <see cref="Kernel.MightSleep"/> and yields
    /// the processor when the count reaches zero.
    /// </summary>
    public void Put()
    {
        Kernel.MightSleep();
        int now = Interlocked.Decrement(ref _count);
        if (now < 0)
        {
            Interlocked.Increment(ref _count);
            Kernel.RecordOops($"dput underflow on dentry '{Path}'");
            throw new InvalidOperationException($"dput on dentry '{Path}' with no references.");
        }

        if (now == 0)
        {
            Thread.Yield();
        }
    }

    internal Dentry LookupOrCreateChild(string name) =>
        _children.GetOrAdd(name, n => new Dentry(Sb, this, n, 0));

    internal IEnumerable<Dentry> Children => _children.Values;

    public override string ToString() => Path.Length == 0 ? "/" : Path;
}

/// <summary>The VFS calls the cache uses.</summary>
public static class Vfs
{
    /// <summary>
    /// Walks <paramref name="path"/> from the mount root one component at a time, asking the
    /// server whether each directory exists (a lookup: may sleep, and drops the reference on each
    /// parent with <see cref="Dentry.Put"/>). Returns the final dentry with a reference held.
    /// Throws <see cref="KernelException"/> (-ENOENT) when a component does not exist.
    /// </summary>
    public static Dentry PathToDentry(CifsSbInfo sb, string path)
    {
        ArgumentNullException.ThrowIfNull(sb);
        ArgumentNullException.ThrowIfNull(path);
        Kernel.MightSleep();
        var dentry = sb.Root.Get();
        foreach (var component in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            string childPath = dentry.Path.Length == 0 ? component : dentry.Path + "/" + component;
            if (!sb.Share.DirectoryExists(childPath))
            {
                dentry.Put();
                throw new KernelException(-Errno.ENOENT, $"no such directory: {childPath}");
            }

            var child = dentry.LookupOrCreateChild(component).Get();
            dentry.Put();
            dentry = child;
        }

        return dentry;
    }
}
