namespace SampleCache.Seed;

using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Threading;
using SampleCache.Kernel;

/// <summary>The directory entries cached for a directory.</summary>
public sealed class CachedDirents
{
    public bool IsValid;
    public readonly List<string> Entries = new();
}

/// <summary>
/// One cached directory handle (<c>struct cached_fid</c>) as the series left it: patch 1/5 wants
/// every field under <see cref="FidLock"/>, 3/5 adds <see cref="CfidMutex"/>, 5/5 adds
/// <see cref="LastAccessTime"/>.
/// </summary>
public sealed class CachedFid
{
    /// <summary>"Anything in cached_fid not protected by another lock" (row 25, patch 4/5).</summary>
    public readonly Spinlock FidLock = new(LockClass.Of("cached_fid->fid_lock"));

    /// <summary>Serialises opening and releasing the entry (patch 3/5; row 7).</summary>
    public readonly KMutex CfidMutex = new(LockClass.Of("cached_fid->cfid_mutex"));

    public readonly Kref<CachedFid> Refcount;

    public readonly string Path;

    public readonly CachedFids Cfids;

    public bool HasLease;

    public bool IsOpen;

    public bool OnList;

    public bool FileAllInfoIsValid;

    /// <summary>Jiffies when the lease was taken.</summary>
    public long Time;

    /// <summary>Jiffies of the last lookup that found the entry (patch 5/5).</summary>
    public long LastAccessTime;

    public CifsFid Fid;

    /// <summary>Set once the open succeeds (1/5 moved it there).</summary>
    public CifsTcon? Tcon;

    public Dentry? Dentry;

    public SmbDirInfo? FileAllInfo;

    public readonly CachedDirents Dirents = new();

    public readonly WorkItem PutWork;

    public readonly WorkItem CloseWork;

    private int _frees;

    internal CachedFid(CachedFids cfids, string path)
    {
        Cfids = cfids;
        Path = path;
        Refcount = new Kref<CachedFid>(this);
        PutWork = new WorkItem(() => CachedDir.CachedDirPutWork(this), "cached_dir_put_work");
        CloseWork = new WorkItem(() => CachedDir.CachedDirOffloadClose(this), "cached_dir_offload_close");
    }

    /// <summary>Instrumentation: the entry has been freed.</summary>
    public bool Freed => Volatile.Read(ref _frees) != 0;

    public int FreeCount => Volatile.Read(ref _frees);

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
    /// <summary>Guards the entry list and its count (row 24).</summary>
    public readonly Spinlock CfidListLock = new(LockClass.Of("cached_fids->cfid_list_lock"));

    public readonly List<CachedFid> Entries = new();

    public readonly List<CachedFid> Dying = new();

    public int NumEntries;

    public readonly int MaxCachedDirs;

    public readonly CifsTcon Tcon;

    public readonly WorkItem InvalidationWork;

    public readonly DelayedWork LaundromatWork;

    private readonly System.Collections.Concurrent.ConcurrentQueue<CachedFid> _allocated = new();

    internal CachedFids(CifsTcon tcon)
    {
        Tcon = tcon;
        MaxCachedDirs = tcon.MaxCachedDirs;
        InvalidationWork = new WorkItem(() => CachedDir.CfidsInvalidationWorker(this), "cfids_invalidation_worker");
        LaundromatWork = new DelayedWork(tcon.Module.Clock, () => CachedDir.CfidsLaundromatWorker(this), "cfids_laundromat_worker");
    }

    public IReadOnlyCollection<CachedFid> AllocatedEntries => _allocated.ToArray();

    internal void TrackAllocation(CachedFid cfid) => _allocated.Enqueue(cfid);
}
