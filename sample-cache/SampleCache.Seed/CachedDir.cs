namespace SampleCache.Seed;

using System;
using System.Collections.Generic;
using System.Threading;
using SampleCache.Kernel;

/// <summary>
/// The cached directory handle cache as posted in the May 2025 series: the v6.15 design with
/// 1/5 (every cached_fid field under fid_lock, the dentry pinned under fid_lock at the end of the
/// open), 2/5 (an invalidated entry yields -ENOENT), 3/5 (cfid_mutex around the open and inside the
/// release) and 5/5 (expiry by last access time). Its locking bugs are kept on purpose; each place a
/// reviewer pointed at carries a comment naming the finding. It runs single-threaded; it is not
/// expected to survive concurrency.
/// <para>
/// Deviations forced by C# or by the sample: the sample has no prefix paths, so the
/// path_no_prefix step and its error branch are left out; a failed path walk is an exception
/// caught on the spot; where the kernel leaves a function from two places with the lock released
/// on each, the port sometimes joins the two exits after the single unlock (same lock regions).
/// </para>
/// </summary>
public static class CachedDir
{
    private const int MaxReplaySleepMs = 2000;

    // ----- allocation -------------------------------------------------------------------------

    /// <summary>init_cached_dirs: creates the cache of a tree connection and arms the laundromat.</summary>
    public static CachedFids InitCachedDirs(CifsTcon tcon)
    {
        ArgumentNullException.ThrowIfNull(tcon);
        var cfids = new CachedFids(tcon);
        tcon.Cfids = cfids;
        cfids.LaundromatWork.Queue(tcon.Module.CfidPutWq, JiffiesClock.HZ * tcon.Module.DirCacheTimeout);
        return cfids;
    }

    /// <summary>
    /// free_cached_dirs (v6.15, untouched by the series): stops the workers and frees every entry
    /// outright, relying on the tree disconnect to close the handles.
    /// </summary>
    public static void FreeCachedDirs(CachedFids? cfids)
    {
        if (cfids is null)
        {
            return;
        }

        cfids.LaundromatWork.CancelSync();
        cfids.InvalidationWork.CancelSync();

        var doomed = new List<CachedFid>();
        cfids.CfidListLock.Lock();
        foreach (var cfid in cfids.Entries)
        {
            cfid.OnList = false;
            cfid.IsOpen = false;
            doomed.Add(cfid);
        }

        foreach (var cfid in cfids.Dying)
        {
            cfid.OnList = false;
            cfid.IsOpen = false;
            doomed.Add(cfid);
        }

        cfids.Entries.Clear();
        cfids.Dying.Clear();
        cfids.CfidListLock.Unlock();

        foreach (var cfid in doomed)
        {
            FreeCachedDir(cfid);
        }

        if (ReferenceEquals(cfids.Tcon.Cfids, cfids))
        {
            cfids.Tcon.Cfids = null;
        }
    }

    /// <summary>init_cached_dir: a new entry with one reference; 3/5 adds the mutex.</summary>
    private static CachedFid InitCachedDir(CachedFids cfids, string path)
    {
        var cfid = new CachedFid(cfids, path);
        cfids.TrackAllocation(cfid);
        return cfid;
    }

    /// <summary>free_cached_dir: after 1/5 it no longer puts the dentry.</summary>
    private static void FreeCachedDir(CachedFid cfid)
    {
        if (cfid.CloseWork.IsPending || cfid.PutWork.IsPending)
        {
            Kernel.RecordOops($"freeing {cfid} with work still pending");
        }

        cfid.Dirents.Entries.Clear();
        cfid.Dirents.IsValid = false;
        cfid.MarkFreed();
    }

    // ----- lookup and open --------------------------------------------------------------------

    /// <summary>find_or_create_cached_dir, with 1/5's fid_lock taken on every entry walked.</summary>
    private static CachedFid? FindOrCreateCachedDir(CachedFids cfids, string path, bool lookupOnly, int maxCachedDirs)
    {
        cfids.CfidListLock.Lock();
        foreach (var entry in cfids.Entries)
        {
            entry.FidLock.Lock();
            if (string.Equals(entry.Path, path, StringComparison.Ordinal))
            {
                if (entry.Time == 0 || !entry.HasLease)
                {
                    entry.FidLock.Unlock();
                    cfids.CfidListLock.Unlock();
                    return null;
                }

                entry.Refcount.Get();
                entry.FidLock.Unlock();
                cfids.CfidListLock.Unlock();
                return entry;
            }

            entry.FidLock.Unlock();
        }

        if (lookupOnly)
        {
            cfids.CfidListLock.Unlock();
            return null;
        }

        if (cfids.NumEntries >= maxCachedDirs)
        {
            cfids.CfidListLock.Unlock();
            return null;
        }

        var cfid = InitCachedDir(cfids, path);
        cfids.NumEntries++;
        cfids.Entries.Insert(0, cfid);
        cfid.OnList = true;
        cfid.Refcount.Get();
        cfid.HasLease = true;
        cfids.CfidListLock.Unlock();
        return cfid;
    }

    /// <summary>open_cached_dir with patches 1/5, 2/5, 3/5 and 5/5 applied.</summary>
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

        var cfid = FindOrCreateCachedDir(cfids, path, lookupOnly, cfids.MaxCachedDirs);
        if (cfid is null)
        {
            return -Errno.ENOENT;
        }

        // 3/5: open and release of one entry are serialised by its mutex.
        cfid.CfidMutex.Lock();

        // 2/5 and 5/5: hand out a valid entry (touching its access time), refuse an invalidated one.
        cfid.FidLock.Lock();
        if (cfid.HasLease && cfid.Time != 0)
        {
            cfid.LastAccessTime = tcon.Module.Clock.Now;
            cfid.FidLock.Unlock();
            cfid.CfidMutex.Unlock();
            retCfid = cfid;
            return 0;
        }

        if (!cfid.HasLease)
        {
            cfid.FidLock.Unlock();
            cfid.CfidMutex.Unlock();
            cfid.Refcount.Put(CachedDir.ReleaseCachedFid);
            return -Errno.ENOENT;
        }

        cfid.FidLock.Unlock();

        // The sample has no prefix path: the walk below uses the path as given.
        string npath = path;

        // new_lease_key writes the key straight into the entry, outside any lock, as posted.
        var leaseKey = Guid.NewGuid();
        cfid.Fid.LeaseKey = leaseKey;

        // The request itself is sent without locks (cfid_mutex apart).
        var rsp = tcon.Share.OpenQueryInfo(tcon, path, leaseKey, replay);
        int rc = rsp.Rc;
        if (rc != 0)
        {
            if (rc == -Errno.EREMCHG)
            {
                tcon.NeedReconnect = true;
            }
        }
        else
        {
            cfid.Fid.PersistentFid = rsp.Fid.PersistentFid;
            cfid.Fid.VolatileFid = rsp.Fid.VolatileFid;

            if (rsp.OplockLevel != SmbOplockLevel.Lease)
            {
                rc = -Errno.EINVAL;
            }
            else if ((rsp.LeaseState & SmbLeaseState.ReadCaching) == 0)
            {
                rc = -Errno.EINVAL;
            }
            else if (rsp.Info is null)
            {
                rc = -Errno.EINVAL;
            }
            else
            {
                var info = rsp.Info.Copy();
                cfid.FileAllInfo = info;
                cfid.FileAllInfoIsValid = true;
                cfid.Dirents.Entries.Clear();
                cfid.Dirents.Entries.AddRange(info.Entries);
                cfid.Dirents.IsValid = true;

                // 1/5 moved the dentry pinning here, under fid_lock.
                bool pinned = true;
                cfid.FidLock.Lock();
                if (cfid.Dentry is null)
                {
                    Dentry? dentry;
                    if (npath.Length == 0)
                    {
                        dentry = sb.Root.Get();
                    }
                    else
                    {
                        // Review finding 2: the path walk is a VFS lookup that can sleep and
                        // puts the dentry of every parent it passes, and here it runs with this
                        // entry's fid_lock (a spinlock) held: sleeping in atomic context, the
                        // splat the reviewer showed from open_cached_dir.
                        try
                        {
                            dentry = Vfs.PathToDentry(sb, npath);
                        }
                        catch (KernelException)
                        {
                            dentry = null;
                        }
                    }

                    if (dentry is null)
                    {
                        pinned = false;
                    }
                    else
                    {
                        cfid.Dentry = dentry;
                    }
                }

                if (pinned)
                {
                    cfid.Tcon = tcon;
                    cfid.IsOpen = true;
                    cfid.Time = tcon.Module.Clock.Now;
                    cfid.LastAccessTime = cfid.Time;
                }

                cfid.FidLock.Unlock();
                if (!pinned)
                {
                    rc = -Errno.ENOENT;
                }
            }
        }

        if (rc != 0)
        {
            cfids.CfidListLock.Lock();
            if (cfid.OnList)
            {
                cfids.Entries.Remove(cfid);
                cfid.OnList = false;
                cfids.NumEntries--;
            }

            cfid.FidLock.Lock();
            if (cfid.HasLease)
            {
                // Review finding 5: 1/5 drops a reference here with this entry's fid_lock (and
                // cfid_list_lock) held. Should it be the last one, the release takes
                // cfid_list_lock, which the table ranks above fid_lock (and which is held here),
                // and frees the entry whose fid_lock is still held. The series counts on the
                // caller's reference still being there at this point.
                cfid.HasLease = false;
                cfid.Refcount.Put(CachedDir.ReleaseCachedFid);
            }

            cfid.FidLock.Unlock();
            cfids.CfidListLock.Unlock();

            // Review finding 4: this drop normally is the last one, so the release runs here,
            // and with 3/5 the release starts by taking cfid_mutex, which this thread still holds
            // (it is unlocked only below): the failure path deadlocks on itself (the sample's
            // KMutex reports the recursion instead of hanging), and the unlock below would touch
            // freed memory.
            cfid.Refcount.Put(CachedDir.ReleaseCachedFid);
        }
        else
        {
            retCfid = cfid;
            Interlocked.Increment(ref tcon.NumRemoteOpens);
        }

        cfid.CfidMutex.Unlock();
        return rc;
    }

    /// <summary>open_cached_dir_by_dentry with 1/5's fid_lock on every entry walked.</summary>
    public static int OpenCachedDirByDentry(CifsTcon tcon, Dentry? dentry, out CachedFid? retCfid)
    {
        ArgumentNullException.ThrowIfNull(tcon);
        retCfid = null;
        if (tcon.Cfids is not CachedFids cfids)
        {
            return -Errno.EOPNOTSUPP;
        }

        cfids.CfidListLock.Lock();
        foreach (var cfid in cfids.Entries)
        {
            // Review finding 5: `rm -rf` on a mount stalled (RCU stall) spinning right here on an
            // entry's fid_lock: with 1/5 the lock is also held around reference drops whose
            // release unlinks and frees the entry (drop_cached_dir_by_name, the laundromat, the
            // open failure path), so a walker can spin on the fid_lock of an entry that is being
            // freed, or one left locked in freed memory.
            cfid.FidLock.Lock();
            if (dentry is not null && ReferenceEquals(cfid.Dentry, dentry))
            {
                cfid.Refcount.Get();
                cfid.FidLock.Unlock();
                retCfid = cfid;
                cfids.CfidListLock.Unlock();
                return 0;
            }

            cfid.FidLock.Unlock();
        }

        cfids.CfidListLock.Unlock();
        return -Errno.ENOENT;
    }

    // ----- release ----------------------------------------------------------------------------

    /// <summary>smb2_close_cached_fid, the kref release, with 3/5's mutex.</summary>
    internal static void ReleaseCachedFid(CachedFid cfid)
    {
        cfid.CheckNotFreed();

        // Review finding 4: 3/5 takes a sleeping mutex inside the release. The release runs in
        // whoever drops the last reference, and several callers drop references with spinlocks
        // held (the laundromat and drop_cached_dir_by_name under fid_lock, the open failure path
        // under both list locks): that sleeps in atomic context. And a thread waiting here, or in
        // open_cached_dir, for the mutex of an entry that is being freed uses it after the free.
        cfid.CfidMutex.Lock();

        cfid.Cfids.CfidListLock.Lock();
        if (cfid.OnList)
        {
            cfid.Cfids.Entries.Remove(cfid);
            cfid.OnList = false;
            cfid.Cfids.NumEntries--;
        }

        cfid.Cfids.CfidListLock.Unlock();

        // As posted, read without fid_lock: the releasing thread counts as the only user left.
        if (cfid.Dentry is not null)
        {
            cfid.Dentry.Put();
            cfid.Dentry = null;
        }

        if (cfid.IsOpen && cfid.Tcon is not null)
        {
            _ = cfid.Tcon.Share.Close(cfid.Tcon, cfid.Fid.PersistentFid, cfid.Fid.VolatileFid);
        }

        FreeCachedDir(cfid);

        // The mutex is released after the entry is freed.
        cfid.CfidMutex.Unlock();
    }

    /// <summary>close_cached_dir.</summary>
    public static void CloseCachedDir(CachedFid cfid)
    {
        ArgumentNullException.ThrowIfNull(cfid);
        cfid.Refcount.Put(CachedDir.ReleaseCachedFid);
    }

    /// <summary>drop_cached_dir_by_name (rmdir), with 1/5's fid_lock replacing the list lock.</summary>
    public static void DropCachedDirByName(CifsTcon tcon, string name, CifsSbInfo sb)
    {
        int rc = OpenCachedDir(tcon, name, sb, true, out var cfid);
        if (rc != 0 || cfid is null)
        {
            return;
        }

        cfid.FidLock.Lock();
        if (cfid.HasLease)
        {
            // No lease means nobody may be handed this entry any more.
            cfid.HasLease = false;

            // Review finding 5 (and 4): the lease reference is dropped with fid_lock held. If it
            // is the last one (a concurrent close), the release runs under this spinlock: it
            // takes cfid_list_lock (higher in the table than fid_lock), with 3/5 a sleeping
            // mutex, puts the dentry, closes the handle and frees the entry, and the unlock below
            // then writes to the freed entry.
            cfid.Refcount.Put(CachedDir.ReleaseCachedFid);
        }

        cfid.FidLock.Unlock();
        CloseCachedDir(cfid);
    }

    /// <summary>close_all_cached_dirs (v6.15): collects the dentries under the locks, puts them after.</summary>
    public static void CloseAllCachedDirs(CifsSbInfo sb)
    {
        ArgumentNullException.ThrowIfNull(sb);
        var dentries = new List<Dentry?>();

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
                dentries.Add(cfid.Dentry);
                cfid.Dentry = null;
                cfid.FidLock.Unlock();
            }

            cfids.CfidListLock.Unlock();
        }

        sb.TlinkTreeLock.Unlock();

        foreach (var dentry in dentries)
        {
            dentry?.Put();
        }

        sb.MasterTcon.Module.CfidPutWq.Flush();
    }

    /// <summary>invalidate_all_cached_dirs with 1/5's fid_lock around the lease flag.</summary>
    public static void InvalidateAllCachedDirs(CifsTcon tcon)
    {
        ArgumentNullException.ThrowIfNull(tcon);
        if (tcon.Cfids is not CachedFids cfids)
        {
            return;
        }

        cfids.CfidListLock.Lock();
        foreach (var cfid in cfids.Entries)
        {
            cfids.Dying.Add(cfid);
            cfids.NumEntries--;
            cfid.IsOpen = false;
            cfid.OnList = false;
            cfid.FidLock.Lock();
            if (cfid.HasLease)
            {
                // Still leased on the server: the list's reference passes to the dying list.
                cfid.HasLease = false;
            }
            else
            {
                cfid.Refcount.Get();
            }

            cfid.FidLock.Unlock();
        }

        cfids.Entries.Clear();
        if (cfids.Dying.Count > 0)
        {
            tcon.Module.CfidPutWq.Queue(cfids.InvalidationWork);
        }

        cfids.CfidListLock.Unlock();
    }

    /// <summary>cfids_invalidation_worker (v6.15).</summary>
    internal static void CfidsInvalidationWorker(CachedFids cfids)
    {
        var doomed = new List<CachedFid>();
        cfids.CfidListLock.Lock();
        doomed.AddRange(cfids.Dying);
        cfids.Dying.Clear();
        cfids.CfidListLock.Unlock();

        foreach (var cfid in doomed)
        {
            cfid.Refcount.Put(CachedDir.ReleaseCachedFid);
        }
    }

    /// <summary>
    /// cached_dir_lease_break with 1/5's fid_lock. Called with <see cref="CifsGlobals.TcpSesLock"/> held.
    /// </summary>
    public static bool CachedDirLeaseBreak(CifsTcon tcon, Guid leaseKey)
    {
        ArgumentNullException.ThrowIfNull(tcon);
        if (tcon.Cfids is not CachedFids cfids)
        {
            return false;
        }

        cfids.CfidListLock.Lock();
        for (int i = 0; i < cfids.Entries.Count; i++)
        {
            var cfid = cfids.Entries[i];
            cfid.FidLock.Lock();
            if (cfid.HasLease && cfid.Fid.LeaseKey == leaseKey)
            {
                cfid.HasLease = false;
                cfid.Time = 0;
                cfids.Entries.RemoveAt(i);
                cfid.OnList = false;
                cfid.FidLock.Unlock();
                cfids.NumEntries--;

                // As posted, tc_count is bumped under the caller's cifs_tcp_ses_lock (and the list
                // lock), not under tcon->tc_lock where the review says it belongs.
                ++tcon.TcCount;
                tcon.Module.CfidPutWq.Queue(cfid.PutWork);
                cfids.CfidListLock.Unlock();
                return true;
            }

            cfid.FidLock.Unlock();
        }

        cfids.CfidListLock.Unlock();
        return false;
    }

    /// <summary>cached_dir_put_work (v6.15).</summary>
    internal static void CachedDirPutWork(CachedFid cfid)
    {
        Dentry? dentry;
        cfid.FidLock.Lock();
        dentry = cfid.Dentry;
        cfid.Dentry = null;
        cfid.FidLock.Unlock();

        dentry?.Put();
        cfid.Cfids.Tcon.Module.ServerCloseWq.Queue(cfid.CloseWork);
    }

    /// <summary>cached_dir_offload_close (v6.15), with cifs_put_tcon's locking written out.</summary>
    internal static void CachedDirOffloadClose(CachedFid cfid)
    {
        // The tcon the cache belongs to (the entry's own pointer is only set once the open succeeded).
        var tcon = cfid.Cfids.Tcon;
        if (cfid.OnList)
        {
            Kernel.RecordOops($"{cfid} is still on the list in its close work");
        }

        cfid.Refcount.Put(CachedDir.ReleaseCachedFid);

        CifsGlobals.TcpSesLock.Lock();
        tcon.TcLock.Lock();
        --tcon.TcCount;
        tcon.TcLock.Unlock();
        CifsGlobals.TcpSesLock.Unlock();
    }

    /// <summary>cfids_laundromat_worker with 1/5 and 5/5 applied.</summary>
    internal static void CfidsLaundromatWorker(CachedFids cfids)
    {
        var module = cfids.Tcon.Module;
        long timeout = JiffiesClock.HZ * module.DirCacheTimeout;
        var expired = new List<CachedFid>();

        cfids.CfidListLock.Lock();
        for (int i = cfids.Entries.Count - 1; i >= 0; i--)
        {
            var cfid = cfids.Entries[i];
            cfid.FidLock.Lock();
            if (cfid.LastAccessTime != 0 && JiffiesClock.TimeAfter(module.Clock.Now, cfid.LastAccessTime + timeout))
            {
                cfid.OnList = false;
                cfids.Entries.RemoveAt(i);
                expired.Add(cfid);
                cfids.NumEntries--;
                if (cfid.HasLease)
                {
                    // Still leased on the server: the list's reference passes to this worker.
                    cfid.HasLease = false;
                }
                else
                {
                    cfid.Refcount.Get();
                }
            }

            cfid.FidLock.Unlock();
        }

        cfids.CfidListLock.Unlock();

        foreach (var cfid in expired)
        {
            cfid.FidLock.Lock();
            var dentry = cfid.Dentry;
            cfid.Dentry = null;

            // Review finding 1: 1/5 moved the fid_lock unlock below, so the dentry is put with
            // the spinlock held. A put may sleep (it can evict the inode and do I/O): sleeping in
            // atomic context, the CONFIG_DEBUG_ATOMIC_SLEEP splat of the review.
            dentry?.Put();

            if (cfid.IsOpen)
            {
                // Review finding 3: the global cifs_tcp_ses_lock (row 10) is taken while this
                // entry's fid_lock (row 25) is held, against the table's order. tc_count is not
                // even that lock's business: it belongs under tcon->tc_lock, taken after fid_lock
                // is dropped.
                CifsGlobals.TcpSesLock.Lock();
                ++cfid.Tcon!.TcCount;
                CifsGlobals.TcpSesLock.Unlock();
                module.ServerCloseWq.Queue(cfid.CloseWork);
            }
            else
            {
                // Review finding 5 (and 4): the reference dropped here may be the last, so the
                // release (cfid_list_lock above fid_lock in the table, 3/5's mutex, a dentry put,
                // a server close, the free) runs under this entry's fid_lock, and the unlock below
                // touches the freed entry.
                cfid.Refcount.Put(CachedDir.ReleaseCachedFid);
            }

            cfid.FidLock.Unlock();
        }

        cfids.LaundromatWork.Queue(module.CfidPutWq, timeout);
    }

    /// <summary>Runs the laundromat now, on the calling thread (for tests).</summary>
    public static void RunLaundromat(CachedFids cfids)
    {
        ArgumentNullException.ThrowIfNull(cfids);
        CfidsLaundromatWorker(cfids);
    }
}
