namespace SampleCache.Reference;

using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Threading;
using SampleCache.Kernel;

/// <summary>The directory entries cached for a directory (filled from the open's query-info).</summary>
public sealed class CachedDirents
{
    public bool IsValid;
    public readonly List<string> Entries = new();
}

/// <summary>
/// One cached directory handle (<c>struct cached_fid</c>).
/// <para>
/// Locking: <see cref="OnList"/>, <see cref="HasLease"/> and <see cref="Time"/> describe the
/// entry's place in its cache and are guarded by <see cref="CachedFids.CfidListLock"/>; the handle,
/// the pinned dentry and the cached data are guarded by <see cref="FidLock"/>. When both are needed
/// the list lock is taken first (lock table rows 24 and 25). An entry is on the list exactly while
/// it has a lease, and the list owns one reference for that lease.
/// </para>
/// </summary>
public sealed class CachedFid
{
    /// <summary>Guards the handle, the dentry and the cached data of this entry (row 25).</summary>
    public readonly Spinlock FidLock = new(LockClass.Of("cached_fid->fid_lock"));

    public readonly Kref<CachedFid> Refcount;

    public readonly string Path;

    public readonly CachedFids Cfids;

    public readonly CifsTcon Tcon;

    /// <summary>Linked on <see cref="CachedFids.Entries"/>. Under the list lock.</summary>
    public bool OnList;

    /// <summary>The lease is held and the list owns a reference for it. Under the list lock.</summary>
    public bool HasLease;

    /// <summary>Jiffies when the lease was taken; zero while the entry is being opened. Under the list lock.</summary>
    public long Time;

    /// <summary>A server handle is open and must be closed on release. Under <see cref="FidLock"/>.</summary>
    public bool IsOpen;

    /// <summary>Under <see cref="FidLock"/>.</summary>
    public bool FileAllInfoIsValid;

    /// <summary>Persistent and volatile ids and the lease key. Under <see cref="FidLock"/>.</summary>
    public CifsFid Fid;

    /// <summary>The pinned dentry of the directory. Under <see cref="FidLock"/>.</summary>
    public Dentry? Dentry;

    /// <summary>The FILE_ALL_INFORMATION copy. Under <see cref="FidLock"/>.</summary>
    public SmbDirInfo? FileAllInfo;

    /// <summary>Cached listing. Under <see cref="FidLock"/>.</summary>
    public readonly CachedDirents Dirents = new();

    /// <summary>Drops the dentry after a lease break, then queues <see cref="CloseWork"/>.</summary>
    public readonly WorkItem PutWork;

    /// <summary>Drops the lease reference (closing the handle if it was the last) and the tcon reference.</summary>
    public readonly WorkItem CloseWork;

    private int _frees;

    internal CachedFid(CachedFids cfids, string path)
    {
        Cfids = cfids;
        Tcon = cfids.Tcon;
        Path = path;
        Refcount = new Kref<CachedFid>(this);
        PutWork = new WorkItem(() => CachedDir.CachedDirPutWork(this), "cached_dir_put_work");
        CloseWork = new WorkItem(() => CachedDir.CachedDirOffloadClose(this), "cached_dir_offload_close");
    }

    /// <summary>Instrumentation: the entry has been freed.</summary>
    public bool Freed => Volatile.Read(ref _frees) != 0;

    /// <summary>Instrumentation: how many times it was freed (more than one is a double free).</summary>
    public int FreeCount => Volatile.Read(ref _frees);

    /// <summary>Instrumentation: records an oops when a freed entry is touched.</summary>
    internal void CheckNotFreed([CallerMemberName] string where = "")
    {
        if (Freed)
        {
            Kernel.RecordOops($"use after free of cached_fid '{Path}' in {where}");
        }
    }

    internal void MarkFreed()
    {
        if (Interlocked.Increment(ref _frees) > 1)
        {
            Kernel.RecordOops($"double free of cached_fid '{Path}'");
        }
    }

    public override string ToString() => $"cached_fid('{Path}')";
}

/// <summary>The cached directory handles of one tree connection (<c>struct cached_fids</c>).</summary>
public sealed class CachedFids
{
    /// <summary>Guards <see cref="Entries"/>, <see cref="NumEntries"/>, <see cref="Dying"/> and the list state of each entry (row 24).</summary>
    public readonly Spinlock CfidListLock = new(LockClass.Of("cached_fids->cfid_list_lock"));

    /// <summary>Entries with a lease, most recent first. Under <see cref="CfidListLock"/>.</summary>
    public readonly List<CachedFid> Entries = new();

    /// <summary>Entries invalidated by a reconnect, waiting for the invalidation worker. Under <see cref="CfidListLock"/>.</summary>
    public readonly List<CachedFid> Dying = new();

    /// <summary>Under <see cref="CfidListLock"/>.</summary>
    public int NumEntries;

    /// <summary>The most entries kept (16 by default).</summary>
    public readonly int MaxCachedDirs;

    public readonly CifsTcon Tcon;

    /// <summary>Drops the references of the entries on <see cref="Dying"/>.</summary>
    public readonly WorkItem InvalidationWork;

    /// <summary>Periodically expires entries unused for <c>dir_cache_timeout</c> seconds.</summary>
    public readonly DelayedWork LaundromatWork;

    private readonly System.Collections.Concurrent.ConcurrentQueue<CachedFid> _allocated = new();

    internal CachedFids(CifsTcon tcon)
    {
        Tcon = tcon;
        MaxCachedDirs = tcon.MaxCachedDirs;
        InvalidationWork = new WorkItem(() => CachedDir.CfidsInvalidationWorker(this), "cfids_invalidation_worker");
        LaundromatWork = new DelayedWork(tcon.Module.Clock, () => CachedDir.CfidsLaundromatWorker(this), "cfids_laundromat_worker");
    }

    /// <summary>Instrumentation: every entry ever allocated for this cache.</summary>
    public IReadOnlyCollection<CachedFid> AllocatedEntries => _allocated.ToArray();

    internal void TrackAllocation(CachedFid cfid) => _allocated.Enqueue(cfid);
}
