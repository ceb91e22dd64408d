namespace SampleCache.Reference;

using System;
using System.Collections.Generic;
using System.Threading;
using SampleCache.Kernel;

/// <summary>
/// The cached directory handle cache with the locking the May 2025 review arrived at.
/// <list type="bullet">
/// <item>Nothing that may sleep (a dentry put, a path walk, a server request, a mutex, a sleep, a
/// flush or a synchronous cancel) runs while a spinlock is held: dentries and handles are taken
/// out under the lock and released after it is dropped.</item>
/// <item>No reference is dropped under a spinlock when the drop may be the last one (the release
/// takes the list lock, puts the dentry and closes the handle): the decision is taken under the
/// lock, the put happens after unlocking.</item>
/// <item>The tcon reference count is taken under <c>tcon.TcLock</c>, never under the global
/// <c>cifs_tcp_ses_lock</c>, and only once the entry's locks are dropped.</item>
/// <item>Locks nest only in table order: tlink_tree_lock (3), cifs_tcp_ses_lock (10), tc_lock (18),
/// cfid_list_lock (24), fid_lock (25).</item>
/// <item>There is no per-entry mutex.</item>
/// </list>
/// Functions return 0 or a negative errno, like their kernel counterparts.
/// </summary>
public static class CachedDir
{
    /// <summary>Longest pause between replays of a request (ms).</summary>
    private const int MaxReplaySleepMs = 2000;

    // ----- allocation -------------------------------------------------------------------------

    /// <summary>
    /// init_cached_dirs: creates the cache of a tree connection, attaches it to the tcon and arms
    /// the laundromat.
    /// </summary>
    public static CachedFids InitCachedDirs(CifsTcon tcon)
    {
        ArgumentNullException.ThrowIfNull(tcon);
        var cfids = new CachedFids(tcon);
        tcon.Cfids = cfids;
        cfids.LaundromatWork.Queue(tcon.Module.CfidPutWq, LaundromatInterval(tcon));
        return cfids;
    }

    /// <summary>
    /// free_cached_dirs: tears the cache down when the tree connection goes away. There must be no
    /// users left. Stops the workers, then drops the references the list and the dying list hold
    /// (which releases every entry: dentry put, handle closed).
    /// </summary>
    public static void FreeCachedDirs(CachedFids? cfids)
    {
        if (cfids is null)
        {
            return;
        }

        var module = cfids.Tcon.Module;
        cfids.LaundromatWork.CancelSync();
        module.CfidPutWq.Flush();
        module.ServerCloseWq.Flush();
        cfids.InvalidationWork.CancelSync();

        var doomed = new List<CachedFid>();
        cfids.CfidListLock.Lock();
        foreach (var cfid in cfids.Entries)
        {
            cfid.OnList = false;
            // Entries on the list always hold a lease; that reference is ours to drop now.
            cfid.HasLease = false;
            doomed.Add(cfid);
        }

        cfids.Entries.Clear();
        cfids.NumEntries = 0;
        // The dying entries carry the reference the (cancelled) invalidation worker would drop.
        doomed.AddRange(cfids.Dying);
        cfids.Dying.Clear();
        cfids.CfidListLock.Unlock();

        foreach (var cfid in doomed)
        {
            cfid.Refcount.Put(CachedDir.ReleaseCachedFid);
        }

        if (ReferenceEquals(cfids.Tcon.Cfids, cfids))
        {
            cfids.Tcon.Cfids = null;
        }
    }

    /// <summary>init_cached_dir: allocates an entry with one reference. Never sleeps.</summary>
    private static CachedFid InitCachedDir(CachedFids cfids, string path)
    {
        var cfid = new CachedFid(cfids, path);
        cfids.TrackAllocation(cfid);
        return cfid;
    }

    /// <summary>free_cached_dir: forgets the cached listing and the path's data and frees the entry.</summary>
    private static void FreeCachedDir(CachedFid cfid)
    {
        if (cfid.CloseWork.IsPending || cfid.PutWork.IsPending)
        {
            Kernel.RecordOops($"freeing {cfid} with work still pending");
        }

        // We hold the only reference: nobody else can look at the entry any more.
        cfid.Dirents.Entries.Clear();
        cfid.Dirents.IsValid = false;
        cfid.FileAllInfo = null;
        cfid.FileAllInfoIsValid = false;
        cfid.MarkFreed();
    }

    // ----- lookup and open --------------------------------------------------------------------

    /// <summary>
    /// find_or_create_cached_dir: under the list lock, returns a valid entry for
    /// <paramref name="path"/> with a reference taken, or (unless <paramref name="lookupOnly"/> or
    /// the cache is full) links a new entry holding two references, one for the caller and one for
    /// the lease. Returns null when the path is being opened or torn down by someone else.
    /// </summary>
    private static CachedFid? FindOrCreateCachedDir(CachedFids cfids, string path, bool lookupOnly, out bool created)
    {
        CachedFid? result = null;
        bool matched = false;
        created = false;

        cfids.CfidListLock.Lock();
        foreach (var entry in cfids.Entries)
        {
            if (string.Equals(entry.Path, path, StringComparison.Ordinal))
            {
                matched = true;
                // Without a time the entry is still being opened; without a lease it is leaving.
                if (entry.Time != 0 && entry.HasLease)
                {
                    entry.CheckNotFreed();
                    entry.Refcount.Get();
                    result = entry;
                }

                break;
            }
        }

        if (!matched && !lookupOnly && cfids.NumEntries < cfids.MaxCachedDirs)
        {
            var cfid = InitCachedDir(cfids, path);
            cfids.Entries.Insert(0, cfid);
            cfids.NumEntries++;
            cfid.OnList = true;
            // The second reference belongs to the lease. Setting the lease now lets a break that
            // arrives while the open is in flight find the entry and take that reference; the zero
            // time keeps everyone else from using it before it is ready.
            cfid.Refcount.Get();
            cfid.HasLease = true;
            result = cfid;
            created = true;
        }

        cfids.CfidListLock.Unlock();
        return result;
    }

    /// <summary>
    /// open_cached_dir: returns a referenced entry for the directory <paramref name="path"/>
    /// (relative to the share root, "" for the root), opening it on the server with a directory
    /// lease when it is not cached yet. Replayable failures are retried after a sleep.
    /// </summary>
    public static int OpenCachedDir(CifsTcon tcon, string path, CifsSbInfo sb, bool lookupOnly, out CachedFid? retCfid)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(sb);
        retCfid = null;
        if (tcon is null)
        {
            return -Errno.EOPNOTSUPP;
        }

        if (tcon.Cfids is not CachedFids cfids)
        {
            return -Errno.EOPNOTSUPP;
        }

        int retries = 0;
        int curSleep = 1;
        while (true)
        {
            int rc = OpenCachedDirAttempt(tcon, cfids, path, sb, lookupOnly, retries > 0, out retCfid);
            if (!Errno.IsReplayable(rc) || !ShouldReplay(tcon, ref retries, ref curSleep))
            {
                return rc;
            }
        }
    }

    /// <summary>smb2_should_replay: sleeps and allows another attempt while retries remain.</summary>
    private static bool ShouldReplay(CifsTcon tcon, ref int retries, ref int curSleep)
    {
        if (retries >= tcon.Ses.Server.Retrans)
        {
            return false;
        }

        retries++;
        Kernel.Msleep(curSleep);
        curSleep = Math.Min(curSleep * 2, MaxReplaySleepMs);
        return true;
    }

    private static int OpenCachedDirAttempt(
        CifsTcon tcon, CachedFids cfids, string path, CifsSbInfo sb, bool lookupOnly, bool replay, out CachedFid? retCfid)
    {
        retCfid = null;
        if (!tcon.Ses.Server.SupportsLeases)
        {
            return -Errno.EIO;
        }

        var cfid = FindOrCreateCachedDir(cfids, path, lookupOnly, out bool created);
        if (cfid is null)
        {
            return -Errno.ENOENT;
        }

        if (!created)
        {
            // It was valid when we took our reference under the list lock.
            retCfid = cfid;
            return 0;
        }

        // Pin the dentry before anything is locked: the walk may sleep.
        Dentry dentry;
        if (path.Length == 0)
        {
            dentry = sb.Root.Get();
        }
        else
        {
            try
            {
                dentry = Vfs.PathToDentry(sb, path);
            }
            catch (KernelException)
            {
                return AbandonOpen(cfids, cfid, -Errno.ENOENT);
            }
        }

        // The lease key is recorded before the request goes out, so that a break racing with the
        // reply can find this entry.
        var leaseKey = Guid.NewGuid();
        cfid.FidLock.Lock();
        cfid.Dentry = dentry;
        cfid.Fid.LeaseKey = leaseKey;
        cfid.FidLock.Unlock();

        // No lock is held across the request: it may sleep, and reconnect.
        var rsp = tcon.Share.OpenQueryInfo(tcon, path, leaseKey, replay);
        if (rsp.Rc != 0)
        {
            if (rsp.Rc == -Errno.EREMCHG)
            {
                tcon.NeedReconnect = true;
            }

            return AbandonOpen(cfids, cfid, rsp.Rc);
        }

        // From here on the handle exists on the server, and releasing the entry closes it.
        cfid.FidLock.Lock();
        cfid.Fid.PersistentFid = rsp.Fid.PersistentFid;
        cfid.Fid.VolatileFid = rsp.Fid.VolatileFid;
        cfid.IsOpen = true;
        cfid.FidLock.Unlock();

        if (rsp.OplockLevel != SmbOplockLevel.Lease || (rsp.LeaseState & SmbLeaseState.ReadCaching) == 0)
        {
            return AbandonOpen(cfids, cfid, -Errno.EINVAL);
        }

        if (rsp.Info is null)
        {
            return AbandonOpen(cfids, cfid, -Errno.EINVAL);
        }

        var info = rsp.Info.Copy();
        cfid.FidLock.Lock();
        cfid.FileAllInfo = info;
        cfid.FileAllInfoIsValid = true;
        cfid.Dirents.Entries.Clear();
        cfid.Dirents.Entries.AddRange(info.Entries);
        cfid.Dirents.IsValid = true;
        cfid.FidLock.Unlock();

        // Publish. If a lease break or a reconnect took the lease while the request was in
        // flight, the entry is already off the list: give the handle back instead of returning
        // an entry that is no longer cached.
        bool stillLeased;
        cfids.CfidListLock.Lock();
        stillLeased = cfid.HasLease;
        if (stillLeased)
        {
            cfid.Time = tcon.Module.Clock.Now;
        }

        cfids.CfidListLock.Unlock();
        if (!stillLeased)
        {
            return AbandonOpen(cfids, cfid, -Errno.ENOENT);
        }

        Interlocked.Increment(ref tcon.NumRemoteOpens);
        retCfid = cfid;
        return 0;
    }

    /// <summary>
    /// The failure path of an open: unlinks the entry and drops the lease reference (if still
    /// owned) and the caller's. The drops happen after the list lock is released.
    /// </summary>
    private static int AbandonOpen(CachedFids cfids, CachedFid cfid, int rc)
    {
        bool dropLease;
        cfids.CfidListLock.Lock();
        if (cfid.OnList)
        {
            cfids.Entries.Remove(cfid);
            cfid.OnList = false;
            cfids.NumEntries--;
        }

        dropLease = cfid.HasLease;
        cfid.HasLease = false;
        cfids.CfidListLock.Unlock();

        if (dropLease)
        {
            cfid.Refcount.Put(CachedDir.ReleaseCachedFid);
        }

        cfid.Refcount.Put(CachedDir.ReleaseCachedFid);
        return rc;
    }

    /// <summary>
    /// open_cached_dir_by_dentry: returns a referenced valid entry whose pinned dentry is
    /// <paramref name="dentry"/>.
    /// </summary>
    public static int OpenCachedDirByDentry(CifsTcon tcon, Dentry? dentry, out CachedFid? retCfid)
    {
        ArgumentNullException.ThrowIfNull(tcon);
        retCfid = null;
        if (tcon.Cfids is not CachedFids cfids)
        {
            return -Errno.EOPNOTSUPP;
        }

        if (dentry is null)
        {
            return -Errno.ENOENT;
        }

        CachedFid? found = null;
        cfids.CfidListLock.Lock();
        foreach (var entry in cfids.Entries)
        {
            entry.FidLock.Lock();
            bool same = ReferenceEquals(entry.Dentry, dentry);
            entry.FidLock.Unlock();
            if (same)
            {
                if (entry.HasLease && entry.Time != 0)
                {
                    entry.CheckNotFreed();
                    entry.Refcount.Get();
                    found = entry;
                }

                break;
            }
        }

        cfids.CfidListLock.Unlock();
        if (found is null)
        {
            return -Errno.ENOENT;
        }

        retCfid = found;
        return 0;
    }

    // ----- release ----------------------------------------------------------------------------

    /// <summary>
    /// smb2_close_cached_fid, the release of <see cref="CachedFid.Refcount"/>: runs in whichever
    /// thread drops the last reference, never under a spinlock. Unlinks the entry, puts its
    /// dentry, closes the server handle and frees it.
    /// </summary>
    internal static void ReleaseCachedFid(CachedFid cfid)
    {
        cfid.CheckNotFreed();
        var cfids = cfid.Cfids;
        cfids.CfidListLock.Lock();
        if (cfid.OnList)
        {
            cfids.Entries.Remove(cfid);
            cfid.OnList = false;
            cfids.NumEntries--;
        }

        cfids.CfidListLock.Unlock();

        Dentry? dentry;
        bool isOpen;
        CifsFid fid;
        cfid.FidLock.Lock();
        dentry = cfid.Dentry;
        cfid.Dentry = null;
        isOpen = cfid.IsOpen;
        cfid.IsOpen = false;
        fid = cfid.Fid;
        cfid.FidLock.Unlock();

        dentry?.Put();
        if (isOpen)
        {
            // A failed close leaves nothing to undo here; the server forgets the handle anyway.
            _ = cfid.Tcon.Share.Close(cfid.Tcon, fid.PersistentFid, fid.VolatileFid);
        }

        FreeCachedDir(cfid);
    }

    /// <summary>close_cached_dir: drops the caller's reference (may release the entry).</summary>
    public static void CloseCachedDir(CachedFid cfid)
    {
        ArgumentNullException.ThrowIfNull(cfid);
        cfid.CheckNotFreed();
        cfid.Refcount.Put(CachedDir.ReleaseCachedFid);
    }

    /// <summary>
    /// drop_cached_dir_by_name (rmdir): if <paramref name="name"/> is cached, takes it off the
    /// list and drops the lease reference, so the directory can go.
    /// </summary>
    public static void DropCachedDirByName(CifsTcon tcon, string name, CifsSbInfo sb)
    {
        int rc = OpenCachedDir(tcon, name, sb, true, out var cfid);
        if (rc != 0 || cfid is null)
        {
            return; // not cached
        }

        var cfids = cfid.Cfids;
        bool dropLease = false;
        cfids.CfidListLock.Lock();
        if (cfid.HasLease)
        {
            cfid.HasLease = false;
            if (cfid.OnList)
            {
                cfids.Entries.Remove(cfid);
                cfid.OnList = false;
                cfids.NumEntries--;
            }

            dropLease = true;
        }

        cfids.CfidListLock.Unlock();

        if (dropLease)
        {
            cfid.Refcount.Put(CachedDir.ReleaseCachedFid);
        }

        CloseCachedDir(cfid);
    }

    /// <summary>
    /// close_all_cached_dirs (unmount): takes every pinned dentry out of every cache of the mount
    /// (tlink_tree_lock, then each cfid_list_lock, then each fid_lock), puts them once all locks
    /// are dropped, and waits for pending dentry work.
    /// </summary>
    public static void CloseAllCachedDirs(CifsSbInfo sb)
    {
        ArgumentNullException.ThrowIfNull(sb);
        var dentries = new List<Dentry>();

        sb.TlinkTreeLock.Lock();
        foreach (var tcon in sb.TlinkTree)
        {
            if (tcon.Cfids is not CachedFids cfids)
            {
                continue;
            }

            cfids.CfidListLock.Lock();
            foreach (var cfid in cfids.Entries)
            {
                cfid.FidLock.Lock();
                var dentry = cfid.Dentry;
                cfid.Dentry = null;
                cfid.FidLock.Unlock();
                if (dentry is not null)
                {
                    dentries.Add(dentry);
                }
            }

            cfids.CfidListLock.Unlock();
        }

        sb.TlinkTreeLock.Unlock();

        foreach (var dentry in dentries)
        {
            dentry.Put();
        }

        // Dentries still held by queued work go when that work runs.
        sb.MasterTcon.Module.CfidPutWq.Flush();
    }

    /// <summary>
    /// invalidate_all_cached_dirs (reconnect): the server forgot our handles and leases. Moves
    /// every entry to the dying list, taking over the lease reference, and queues the worker that
    /// drops those references outside the lock.
    /// </summary>
    public static void InvalidateAllCachedDirs(CifsTcon tcon)
    {
        ArgumentNullException.ThrowIfNull(tcon);
        if (tcon.Cfids is not CachedFids cfids)
        {
            return;
        }

        bool queue;
        cfids.CfidListLock.Lock();
        foreach (var cfid in cfids.Entries)
        {
            cfid.OnList = false;
            cfids.NumEntries--;
            cfid.FidLock.Lock();
            cfid.IsOpen = false; // the handle died with the session
            cfid.FidLock.Unlock();
            if (cfid.HasLease)
            {
                cfid.HasLease = false; // take over the list's reference
                cfids.Dying.Add(cfid);
            }
            else if (cfid.Refcount.GetUnlessZero())
            {
                cfids.Dying.Add(cfid);
            }
        }

        cfids.Entries.Clear();
        queue = cfids.Dying.Count > 0;
        cfids.CfidListLock.Unlock();

        if (queue)
        {
            tcon.Module.CfidPutWq.Queue(cfids.InvalidationWork);
        }
    }

    /// <summary>cfids_invalidation_worker: drops the references of the dying entries.</summary>
    internal static void CfidsInvalidationWorker(CachedFids cfids)
    {
        List<CachedFid> doomed;
        cfids.CfidListLock.Lock();
        doomed = new List<CachedFid>(cfids.Dying);
        cfids.Dying.Clear();
        cfids.CfidListLock.Unlock();

        foreach (var cfid in doomed)
        {
            cfid.Refcount.Put(CachedDir.ReleaseCachedFid);
        }
    }

    /// <summary>
    /// cached_dir_lease_break: the server broke the lease with <paramref name="leaseKey"/>. Called
    /// from the server's receive thread with <see cref="CifsGlobals.TcpSesLock"/> held, so it only
    /// unlinks the entry and queues work. Returns true when the lease was one of ours.
    /// </summary>
    public static bool CachedDirLeaseBreak(CifsTcon tcon, Guid leaseKey)
    {
        ArgumentNullException.ThrowIfNull(tcon);
        if (tcon.Cfids is not CachedFids cfids)
        {
            return false;
        }

        CachedFid? broken = null;
        cfids.CfidListLock.Lock();
        foreach (var cfid in cfids.Entries)
        {
            if (!cfid.HasLease)
            {
                continue;
            }

            cfid.FidLock.Lock();
            bool match = cfid.Fid.LeaseKey == leaseKey;
            cfid.FidLock.Unlock();
            if (match)
            {
                broken = cfid;
                break;
            }
        }

        if (broken is not null)
        {
            // Unlink it so nobody finds it any more; the put work inherits the lease reference.
            broken.HasLease = false;
            broken.Time = 0;
            cfids.Entries.Remove(broken);
            broken.OnList = false;
            cfids.NumEntries--;
        }

        cfids.CfidListLock.Unlock();

        if (broken is null)
        {
            return false;
        }

        // The work pins the tcon until the handle is closed. tc_count belongs under tc_lock,
        // which ranks above the cache's locks, so it is taken only now that they are dropped.
        tcon.TcLock.Lock();
        tcon.TcCount++;
        tcon.TcLock.Unlock();

        tcon.Module.CfidPutWq.Queue(broken.PutWork);
        return true;
    }

    /// <summary>cached_dir_put_work: puts the dentry of a broken lease, then queues the close.</summary>
    internal static void CachedDirPutWork(CachedFid cfid)
    {
        cfid.CheckNotFreed();
        Dentry? dentry;
        cfid.FidLock.Lock();
        dentry = cfid.Dentry;
        cfid.Dentry = null;
        cfid.FidLock.Unlock();

        dentry?.Put();
        cfid.Tcon.Module.ServerCloseWq.Queue(cfid.CloseWork);
    }

    /// <summary>
    /// cached_dir_offload_close: drops the lease reference (the release closes the handle if it
    /// was the last), then the tcon reference taken when the work was queued.
    /// </summary>
    internal static void CachedDirOffloadClose(CachedFid cfid)
    {
        cfid.CheckNotFreed();
        var tcon = cfid.Tcon;
        var cfids = cfid.Cfids;

        bool onList;
        cfids.CfidListLock.Lock();
        onList = cfid.OnList;
        cfids.CfidListLock.Unlock();
        if (onList)
        {
            Kernel.RecordOops($"{cfid} is still on the list in its close work");
        }

        cfid.Refcount.Put(CachedDir.ReleaseCachedFid);

        bool lastRef;
        tcon.TcLock.Lock();
        tcon.TcCount--;
        lastRef = tcon.TcCount <= 0;
        tcon.TcLock.Unlock();
        if (lastRef)
        {
            Kernel.RecordOops($"{tcon} lost its last reference in the cached dir close work");
        }
    }

    /// <summary>
    /// cfids_laundromat_worker: expires entries whose lease is older than dir_cache_timeout,
    /// puts their dentries and hands open handles to the close work, then re-arms itself.
    /// </summary>
    internal static void CfidsLaundromatWorker(CachedFids cfids)
    {
        var tcon = cfids.Tcon;
        long now = tcon.Module.Clock.Now;
        long timeout = LaundromatInterval(tcon);
        var expired = new List<CachedFid>();

        cfids.CfidListLock.Lock();
        for (int i = cfids.Entries.Count - 1; i >= 0; i--)
        {
            var cfid = cfids.Entries[i];
            if (cfid.Time != 0 && JiffiesClock.TimeAfter(now, cfid.Time + timeout))
            {
                cfids.Entries.RemoveAt(i);
                cfid.OnList = false;
                cfids.NumEntries--;
                if (cfid.HasLease)
                {
                    cfid.HasLease = false; // take over the list's reference
                    expired.Add(cfid);
                }
                else if (cfid.Refcount.GetUnlessZero())
                {
                    expired.Add(cfid);
                }
            }
        }

        cfids.CfidListLock.Unlock();

        foreach (var cfid in expired)
        {
            Dentry? dentry;
            bool isOpen;
            cfid.FidLock.Lock();
            dentry = cfid.Dentry;
            cfid.Dentry = null;
            isOpen = cfid.IsOpen;
            cfid.FidLock.Unlock();

            dentry?.Put();
            if (isOpen)
            {
                // Closing the handle is network I/O: leave it to the close work, which holds a
                // tcon reference until it is done.
                cfid.Tcon.TcLock.Lock();
                cfid.Tcon.TcCount++;
                cfid.Tcon.TcLock.Unlock();
                cfid.Tcon.Module.ServerCloseWq.Queue(cfid.CloseWork);
            }
            else
            {
                cfid.Refcount.Put(CachedDir.ReleaseCachedFid);
            }
        }

        cfids.LaundromatWork.Queue(tcon.Module.CfidPutWq, timeout);
    }

    /// <summary>Runs the laundromat now, on the calling thread (for tests).</summary>
    public static void RunLaundromat(CachedFids cfids)
    {
        ArgumentNullException.ThrowIfNull(cfids);
        CfidsLaundromatWorker(cfids);
    }

    // ----- accessors for callers and tests ----------------------------------------------------

    /// <summary>The FILE_ALL_INFORMATION copy of a referenced entry, or null.</summary>
    public static SmbDirInfo? GetCachedInfo(CachedFid cfid)
    {
        ArgumentNullException.ThrowIfNull(cfid);
        cfid.CheckNotFreed();
        SmbDirInfo? info;
        cfid.FidLock.Lock();
        info = cfid.FileAllInfoIsValid ? cfid.FileAllInfo : null;
        cfid.FidLock.Unlock();
        return info;
    }

    /// <summary>A copy of the cached listing of a referenced entry.</summary>
    public static IReadOnlyList<string> GetCachedDirents(CachedFid cfid)
    {
        ArgumentNullException.ThrowIfNull(cfid);
        cfid.CheckNotFreed();
        string[] copy;
        cfid.FidLock.Lock();
        copy = cfid.Dirents.IsValid ? cfid.Dirents.Entries.ToArray() : Array.Empty<string>();
        cfid.FidLock.Unlock();
        return copy;
    }

    /// <summary>The pinned dentry of a referenced entry, or null.</summary>
    public static Dentry? GetDentry(CachedFid cfid)
    {
        ArgumentNullException.ThrowIfNull(cfid);
        Dentry? dentry;
        cfid.FidLock.Lock();
        dentry = cfid.Dentry;
        cfid.FidLock.Unlock();
        return dentry;
    }

    /// <summary>The paths currently cached (valid or being opened).</summary>
    public static IReadOnlyList<string> CachedPaths(CachedFids cfids)
    {
        ArgumentNullException.ThrowIfNull(cfids);
        var paths = new List<string>();
        cfids.CfidListLock.Lock();
        foreach (var cfid in cfids.Entries)
        {
            paths.Add(cfid.Path);
        }

        cfids.CfidListLock.Unlock();
        return paths;
    }

    /// <summary>The number of entries on the list.</summary>
    public static int CountEntries(CachedFids cfids)
    {
        ArgumentNullException.ThrowIfNull(cfids);
        int n;
        cfids.CfidListLock.Lock();
        n = cfids.NumEntries;
        cfids.CfidListLock.Unlock();
        return n;
    }

    private static long LaundromatInterval(CifsTcon tcon) => JiffiesClock.HZ * tcon.Module.DirCacheTimeout;
}
