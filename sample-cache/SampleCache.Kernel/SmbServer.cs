using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;

namespace SampleCache.Kernel;

/// <summary>Oplock level in a create response.</summary>
public enum SmbOplockLevel
{
    None = 0,
    Lease = 0xFF,
}

/// <summary>Lease state bits (SMB2_LEASE_*_CACHING).</summary>
[Flags]
public enum SmbLeaseState
{
    None = 0,
    ReadCaching = 1,
    HandleCaching = 2,
    WriteCaching = 4,
}

/// <summary>The handle of an open file or directory plus its lease key (<c>struct cifs_fid</c>).</summary>
public struct CifsFid : IEquatable<CifsFid>
{
    public ulong PersistentFid;
    public ulong VolatileFid;
    public Guid LeaseKey;

    public readonly bool Equals(CifsFid other) =>
        PersistentFid == other.PersistentFid && VolatileFid == other.VolatileFid && LeaseKey == other.LeaseKey;

    public override readonly bool Equals(object? obj) => obj is CifsFid f && Equals(f);

    public override readonly int GetHashCode() => HashCode.Combine(PersistentFid, VolatileFid, LeaseKey);

    public static bool operator ==(CifsFid left, CifsFid right) => left.Equals(right);

    public static bool operator !=(CifsFid left, CifsFid right) => !left.Equals(right);
}

/// <summary>
/// What a query-info on a directory returns: its identity, a version and its listing. Each change
/// to a directory publishes a new version; instances handed to clients are copies.
/// </summary>
public sealed class SmbDirInfo
{
    public SmbDirInfo(string path, long fileId, long version, IReadOnlyList<string> entries, long createdSeq)
    {
        Path = path;
        FileId = fileId;
        Version = version;
        Entries = entries.ToArray();
        CreatedSeq = createdSeq;
    }

    public string Path { get; }

    /// <summary>Changes when the directory is removed and created again.</summary>
    public long FileId { get; }

    /// <summary>Unique over the server's life; identifies this exact content.</summary>
    public long Version { get; }

    public IReadOnlyList<string> Entries { get; }

    /// <summary>The server sequence number at which this version became current.</summary>
    public long CreatedSeq { get; }

    public SmbDirInfo Copy() => new(Path, FileId, Version, Entries, CreatedSeq);

    public bool SameContent(SmbDirInfo other) =>
        other is not null && Path == other.Path && FileId == other.FileId && Version == other.Version &&
        Entries.SequenceEqual(other.Entries);

    public override string ToString() => $"{Path}@v{Version}[{string.Join(",", Entries)}]";
}

/// <summary>The reply to the compound open + query-info request.</summary>
public sealed class OpenQueryInfoResult
{
    public int Rc { get; init; }

    public CifsFid Fid { get; init; }

    public SmbOplockLevel OplockLevel { get; init; }

    public SmbLeaseState LeaseState { get; init; }

    /// <summary>FILE_ALL_INFORMATION plus the listing, as a private copy.</summary>
    public SmbDirInfo? Info { get; init; }
}

/// <summary>How a handle the server issued ended.</summary>
public enum SmbHandleState
{
    Open,
    ClosedByClient,
    /// <summary>Dropped by the server when the session was lost or the tree was disconnected.</summary>
    Dropped,
}

/// <summary>The server's record of one handle.</summary>
public sealed class SmbHandleRecord
{
    internal SmbHandleRecord(ulong persistent, ulong volatileId, string path, int tconId, bool replay)
    {
        PersistentFid = persistent;
        VolatileFid = volatileId;
        Path = path;
        TconId = tconId;
        Replay = replay;
    }

    public ulong PersistentFid { get; }

    public ulong VolatileFid { get; }

    public string Path { get; }

    public int TconId { get; }

    /// <summary>The open that created it was flagged as a replay.</summary>
    public bool Replay { get; }

    public SmbHandleState State { get; internal set; }

    /// <summary>Close requests the client sent for this handle (successful or not).</summary>
    public int CloseRequests { get; internal set; }

    /// <summary>Closed exactly once: one client close, or dropped by the server and closed at most once afterwards.</summary>
    public bool ClosedExactlyOnce =>
        (State == SmbHandleState.ClosedByClient && CloseRequests == 1) ||
        (State == SmbHandleState.Dropped && CloseRequests <= 1);

    public override string ToString() => $"handle {PersistentFid} on '{Path}': {State}, {CloseRequests} close request(s)";
}

/// <summary>
/// A simulated SMB server exporting one share: a directory tree, handles with persistent and
/// volatile ids, and directory leases that it breaks by calling the client's lease-break handler
/// from its own thread with <see cref="CifsGlobals.TcpSesLock"/> held, as the client's receive
/// thread does. Requests are blocking (they may sleep) and can be slowed or failed on purpose.
/// <para>
/// Consistency model: before a directory's content changes, the server breaks every lease on it
/// and waits for the client to take the break; while a break is under way no new lease is granted
/// on that directory. Changes wait while a client connection is down (between
/// <see cref="Disconnect"/> and <see cref="Reconnect"/>), because the leases dropped with it can no
/// longer be broken. Each content version is recorded with the span of sequence numbers in which it
/// was current, so a test can check that data a cache returned was current during the call.
/// </para>
/// </summary>
public sealed class SmbServer : IDisposable
{
    private sealed class DirState
    {
        public DirState(SmbDirInfo current) => Current = current;

        public SmbDirInfo Current;
    }

    private sealed class LeaseRecord
    {
        public LeaseRecord(Guid key, string path, CifsTcon tcon, ulong handle)
        {
            Key = key;
            Path = path;
            Tcon = tcon;
            Handle = handle;
        }

        public Guid Key { get; }

        public string Path { get; }

        public CifsTcon Tcon { get; }

        public ulong Handle { get; }

        /// <summary>Set once a break of this lease is under way; the lease stays on record until it is delivered.</summary>
        public BreakRequest? Break { get; set; }
    }

    private sealed class BreakRequest
    {
        public BreakRequest(LeaseRecord lease) => Lease = lease;

        public LeaseRecord Lease { get; }

        public ManualResetEventSlim Done { get; } = new(false);
    }

    private enum FaultKind
    {
        OpenError,
        LeaseRefused,
        Replayable,
    }

    private readonly object _gate = new();
    private readonly Dictionary<string, DirState> _dirs = new(StringComparer.Ordinal);
    private readonly Dictionary<long, (SmbDirInfo Info, long SupersededSeq)> _versions = new();
    private readonly Dictionary<ulong, SmbHandleRecord> _handles = new();
    private readonly Dictionary<Guid, LeaseRecord> _leases = new();
    private readonly Dictionary<Guid, string> _leaseHistory = new();
    private readonly Dictionary<string, Queue<(FaultKind Kind, int Rc)>> _faults = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _openAttempts = new(StringComparer.Ordinal);
    private readonly HashSet<int> _disconnectedTcons = new();
    private readonly Dictionary<string, int> _breakingPaths = new(StringComparer.Ordinal);
    private readonly List<CifsTcon> _tcons = new(); // walked under CifsGlobals.TcpSesLock
    private readonly BlockingCollection<BreakRequest> _breakQueue = new();
    private readonly Thread _breakThread;
    private Random? _faultRandom;
    private double _openErrorRate;
    private double _leaseRefusedRate;
    private double _replayableRate;
    private long _seq;
    private long _nextVersion;
    private long _nextFileId;
    private ulong _nextPersistent;
    private long _leasesGranted;
    private long _breaksDelivered;
    private long _unknownCloses;
    private Func<CifsTcon, Guid, bool>? _leaseBreakHandler;
    private Action<CifsTcon, string>? _onOpenReplied;

    public SmbServer(string shareName = "share")
    {
        ShareName = shareName;
        Publish(string.Empty, Array.Empty<string>(), newFileId: true);
        _breakThread = new Thread(BreakLoop) { IsBackground = true, Name = $"smbd-lease-break/{shareName}" };
        _breakThread.Start();
    }

    public string ShareName { get; }

    /// <summary>Milliseconds every request takes (0: none).</summary>
    public int LatencyMs { get; set; }

    /// <summary>Refuse every lease (the server does not do directory leases).</summary>
    public bool RefuseAllLeases { get; set; }

    /// <summary>
    /// The client's lease-break handler: called on the server's thread with
    /// <see cref="CifsGlobals.TcpSesLock"/> held, for each tree connection until one returns true.
    /// </summary>
    public Func<CifsTcon, Guid, bool>? LeaseBreakHandler
    {
        get => Volatile.Read(ref _leaseBreakHandler);
        set => Volatile.Write(ref _leaseBreakHandler, value);
    }

    /// <summary>
    /// Test hook run on the requesting thread after an open succeeded on the server and before the
    /// reply reaches the client (to break a lease or reset the connection "during" an open).
    /// </summary>
    public Action<CifsTcon, string>? OnOpenReplied
    {
        get => Volatile.Read(ref _onOpenReplied);
        set => Volatile.Write(ref _onOpenReplied, value);
    }

    /// <summary>The current sequence number: it grows each time a directory version changes.</summary>
    public long Seq => Interlocked.Read(ref _seq);

    public long LeasesGranted => Interlocked.Read(ref _leasesGranted);

    /// <summary>Lease-break notifications delivered to the client.</summary>
    public long BreaksDelivered => Interlocked.Read(ref _breaksDelivered);

    /// <summary>Close requests for handles the server never issued.</summary>
    public long UnknownCloses => Interlocked.Read(ref _unknownCloses);

    // ----- tree connections ---------------------------------------------------------------

    internal void TreeConnect(CifsTcon tcon)
    {
        CifsGlobals.TcpSesLock.Lock();
        _tcons.Add(tcon);
        CifsGlobals.TcpSesLock.Unlock();
    }

    /// <summary>Unmount: forgets the tree connection and drops the handles it left open.</summary>
    public void TreeDisconnect(CifsTcon tcon)
    {
        ArgumentNullException.ThrowIfNull(tcon);
        Kernel.MightSleep();
        CifsGlobals.TcpSesLock.Lock();
        _tcons.Remove(tcon);
        CifsGlobals.TcpSesLock.Unlock();
        lock (_gate)
        {
            DropHandlesOf(tcon);
        }
    }

    /// <summary>
    /// The connection of <paramref name="tcon"/> is lost: the server drops its handles and leases
    /// (without breaking them) and fails its requests until <see cref="Reconnect"/>.
    /// </summary>
    public bool Disconnect(CifsTcon tcon)
    {
        ArgumentNullException.ThrowIfNull(tcon);
        lock (_gate)
        {
            if (!_disconnectedTcons.Add(tcon.Id))
            {
                return false;
            }

            DropHandlesOf(tcon);
            return true;
        }
    }

    /// <summary>The client has reconnected (and invalidated what it cached).</summary>
    public void Reconnect(CifsTcon tcon)
    {
        ArgumentNullException.ThrowIfNull(tcon);
        lock (_gate)
        {
            _disconnectedTcons.Remove(tcon.Id);
            Monitor.PulseAll(_gate);
        }
    }

    public bool IsConnected(CifsTcon tcon)
    {
        ArgumentNullException.ThrowIfNull(tcon);
        lock (_gate)
        {
            return !_disconnectedTcons.Contains(tcon.Id);
        }
    }

    private void DropHandlesOf(CifsTcon tcon)
    {
        foreach (var h in _handles.Values)
        {
            if (h.TconId == tcon.Id && h.State == SmbHandleState.Open)
            {
                h.State = SmbHandleState.Dropped;
            }
        }

        foreach (var key in _leases.Where(kv => kv.Value.Tcon == tcon).Select(kv => kv.Key).ToList())
        {
            _leases.Remove(key);
            NoteLease(key, "dropped with the connection");
        }
    }

    private void NoteLease(Guid key, string what)
    {
        _leaseHistory[key] = _leaseHistory.TryGetValue(key, out var before) ? $"{before}; {what} @{_seq}" : $"{what} @{_seq}";
    }

    /// <summary>What happened to a lease (diagnostics).</summary>
    public string DescribeLease(Guid key)
    {
        lock (_gate)
        {
            return _leaseHistory.TryGetValue(key, out var h) ? h : "never granted";
        }
    }

    // ----- fault injection ----------------------------------------------------------------

    /// <summary>The next <paramref name="times"/> opens of <paramref name="path"/> fail with <paramref name="rc"/>.</summary>
    public void FailNextOpen(string path, int rc, int times = 1) => AddFault(path, FaultKind.OpenError, rc, times);

    /// <summary>The next <paramref name="times"/> opens of <paramref name="path"/> succeed without a lease.</summary>
    public void RefuseNextLease(string path, int times = 1) => AddFault(path, FaultKind.LeaseRefused, 0, times);

    /// <summary>The next <paramref name="times"/> opens of <paramref name="path"/> fail with a replayable error.</summary>
    public void FailNextOpenReplayable(string path, int times = 1) => AddFault(path, FaultKind.Replayable, -Errno.EAGAIN, times);

    /// <summary>Random faults on every open, from a seeded generator (rates between 0 and 1).</summary>
    public void SetRandomFaults(int seed, double openError, double leaseRefused, double replayable)
    {
        lock (_gate)
        {
            _faultRandom = new Random(seed);
            _openErrorRate = openError;
            _leaseRefusedRate = leaseRefused;
            _replayableRate = replayable;
        }
    }

    public void ClearFaults()
    {
        lock (_gate)
        {
            _faults.Clear();
            _faultRandom = null;
        }
    }

    private void AddFault(string path, FaultKind kind, int rc, int times)
    {
        lock (_gate)
        {
            if (!_faults.TryGetValue(path, out var q))
            {
                _faults[path] = q = new Queue<(FaultKind, int)>();
            }

            for (int i = 0; i < times; i++)
            {
                q.Enqueue((kind, rc));
            }
        }
    }

    private (FaultKind Kind, int Rc)? TakeFault(string path)
    {
        if (_faults.TryGetValue(path, out var q) && q.Count > 0)
        {
            return q.Dequeue();
        }

        if (_faultRandom is { } r)
        {
            double x = r.NextDouble();
            if (x < _openErrorRate)
            {
                return (FaultKind.OpenError, -Errno.EIO);
            }

            x -= _openErrorRate;
            if (x < _replayableRate)
            {
                return (FaultKind.Replayable, -Errno.EAGAIN);
            }

            x -= _replayableRate;
            if (x < _leaseRefusedRate)
            {
                return (FaultKind.LeaseRefused, 0);
            }
        }

        return null;
    }

    // ----- requests from the client -------------------------------------------------------

    /// <summary>
    /// The compound SMB2 CREATE (requesting a directory lease with <paramref name="leaseKey"/>)
    /// plus QUERY_INFO(FILE_ALL_INFORMATION). Blocking network I/O: may sleep.
    /// </summary>
    public OpenQueryInfoResult OpenQueryInfo(CifsTcon tcon, string path, Guid leaseKey, bool replay)
    {
        ArgumentNullException.ThrowIfNull(tcon);
        ArgumentNullException.ThrowIfNull(path);
        Kernel.MightSleep();
        Delay();
        OpenQueryInfoResult result;
        lock (_gate)
        {
            _openAttempts[path] = _openAttempts.GetValueOrDefault(path) + 1;
            if (_disconnectedTcons.Contains(tcon.Id))
            {
                return new OpenQueryInfoResult { Rc = -Errno.ECONNABORTED };
            }

            var fault = TakeFault(path);
            if (fault is { Kind: FaultKind.OpenError or FaultKind.Replayable } f)
            {
                return new OpenQueryInfoResult { Rc = f.Rc };
            }

            if (!_dirs.TryGetValue(path, out var dir))
            {
                return new OpenQueryInfoResult { Rc = -Errno.ENOENT };
            }

            ulong persistent = ++_nextPersistent;
            var fid = new CifsFid
            {
                PersistentFid = persistent,
                VolatileFid = (persistent * 7919UL) + 13UL,
                LeaseKey = leaseKey,
            };
            _handles[persistent] = new SmbHandleRecord(fid.PersistentFid, fid.VolatileFid, path, tcon.Id, replay);

            bool grant = fault is null && !RefuseAllLeases && !_breakingPaths.ContainsKey(path) && leaseKey != Guid.Empty &&
                         !_leases.ContainsKey(leaseKey);
            if (grant)
            {
                _leases[leaseKey] = new LeaseRecord(leaseKey, path, tcon, persistent);
                NoteLease(leaseKey, $"granted on '{path}' v{dir.Current.Version} handle {persistent}");
                _leasesGranted++;
            }

            result = new OpenQueryInfoResult
            {
                Rc = 0,
                Fid = fid,
                OplockLevel = grant ? SmbOplockLevel.Lease : SmbOplockLevel.None,
                LeaseState = grant ? SmbLeaseState.ReadCaching | SmbLeaseState.HandleCaching : SmbLeaseState.None,
                Info = dir.Current.Copy(),
            };
        }

        OnOpenReplied?.Invoke(tcon, path);
        return result;
    }

    /// <summary>SMB2 CLOSE. Blocking network I/O: may sleep.</summary>
    public int Close(CifsTcon tcon, ulong persistentFid, ulong volatileFid)
    {
        ArgumentNullException.ThrowIfNull(tcon);
        Kernel.MightSleep();
        Delay();
        lock (_gate)
        {
            if (!_handles.TryGetValue(persistentFid, out var h) || h.VolatileFid != volatileFid)
            {
                _unknownCloses++;
                return -Errno.EBADF;
            }

            h.CloseRequests++;
            if (h.State != SmbHandleState.Open)
            {
                return -Errno.EBADF; // STATUS_FILE_CLOSED
            }

            h.State = SmbHandleState.ClosedByClient;
            foreach (var key in _leases.Where(kv => kv.Value.Handle == persistentFid).Select(kv => kv.Key).ToList())
            {
                _leases.Remove(key);
                NoteLease(key, "released by close");
            }

            return 0;
        }
    }

    /// <summary>A lookup: does <paramref name="path"/> name an existing directory? May sleep.</summary>
    public bool DirectoryExists(string path)
    {
        Kernel.MightSleep();
        lock (_gate)
        {
            return _dirs.ContainsKey(path);
        }
    }

    private void Delay()
    {
        int ms = LatencyMs;
        if (ms > 0)
        {
            Thread.Sleep(ms);
        }
    }

    // ----- the share's content (changed by "other clients") ---------------------------------

    /// <summary>Creates a directory with the given files. Returns 0 or a negative errno.</summary>
    public int CreateDirectory(string path, IEnumerable<string>? files = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        var fileList = files?.ToArray() ?? Array.Empty<string>();
        string parent = ParentOf(path);
        return Mutate(new[] { path, parent }, () =>
        {
            if (_dirs.ContainsKey(path))
            {
                return -Errno.EEXIST;
            }

            if (!_dirs.TryGetValue(parent, out var p))
            {
                return -Errno.ENOENT;
            }

            Publish(path, fileList, newFileId: true);
            Publish(parent, p.Current.Entries.Append(NameOf(path)).ToArray(), newFileId: false);
            return 0;
        });
    }

    /// <summary>Removes a directory that has no subdirectories.</summary>
    public int RemoveDirectory(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path.Length == 0)
        {
            return -Errno.EACCES;
        }

        string parent = ParentOf(path);
        return Mutate(new[] { path, parent }, () =>
        {
            if (!_dirs.TryGetValue(path, out var d))
            {
                return -Errno.ENOENT;
            }

            string prefix = path + "/";
            if (_dirs.Keys.Any(k => k.StartsWith(prefix, StringComparison.Ordinal)))
            {
                return -Errno.ENOTEMPTY;
            }

            _seq++;
            Supersede(d.Current);
            _dirs.Remove(path);
            var p = _dirs[parent];
            Publish(parent, p.Current.Entries.Where(e => e != NameOf(path)).ToArray(), newFileId: false);
            return 0;
        });
    }

    /// <summary>Adds a file to a directory (its content changes, so its leases are broken first).</summary>
    public int AddFile(string dir, string name) =>
        Mutate(new[] { dir }, () =>
        {
            if (!_dirs.TryGetValue(dir, out var d))
            {
                return -Errno.ENOENT;
            }

            if (d.Current.Entries.Contains(name))
            {
                return -Errno.EEXIST;
            }

            Publish(dir, d.Current.Entries.Append(name).ToArray(), newFileId: false);
            return 0;
        });

    /// <summary>Removes a file from a directory.</summary>
    public int RemoveFile(string dir, string name) =>
        Mutate(new[] { dir }, () =>
        {
            if (!_dirs.TryGetValue(dir, out var d))
            {
                return -Errno.ENOENT;
            }

            if (!d.Current.Entries.Contains(name))
            {
                return -Errno.ENOENT;
            }

            Publish(dir, d.Current.Entries.Where(e => e != name).ToArray(), newFileId: false);
            return 0;
        });

    /// <summary>
    /// Breaks every lease held on <paramref name="path"/> without changing it (as when another
    /// client opens it), and waits until the client has taken the breaks. Returns how many.
    /// </summary>
    public int BreakLease(string path)
    {
        List<BreakRequest> started;
        List<BreakRequest> all;
        lock (_gate)
        {
            all = StartBreaks(new[] { path }, out started);
        }

        Deliver(started, all);
        return started.Count;
    }

    /// <summary>The current version of a directory (a copy), or null.</summary>
    public SmbDirInfo? GetDirectory(string path)
    {
        lock (_gate)
        {
            return _dirs.TryGetValue(path, out var d) ? d.Current.Copy() : null;
        }
    }

    public IReadOnlyList<string> DirectoryPaths()
    {
        lock (_gate)
        {
            return _dirs.Keys.ToArray();
        }
    }

    /// <summary>The recorded content of a version, and the sequence span in which it was current.</summary>
    public bool TryGetVersion(long version, out SmbDirInfo? info, out long createdSeq, out long supersededSeq)
    {
        lock (_gate)
        {
            if (_versions.TryGetValue(version, out var v))
            {
                info = v.Info.Copy();
                createdSeq = v.Info.CreatedSeq;
                supersededSeq = v.SupersededSeq;
                return true;
            }
        }

        info = null;
        createdSeq = supersededSeq = 0;
        return false;
    }

    /// <summary>
    /// True when <paramref name="data"/> matches a version of its directory exactly and that version
    /// was current at some point between the sequence numbers <paramref name="fromSeq"/> and
    /// <paramref name="toSeq"/> (read before and after the call that returned it).
    /// </summary>
    public bool WasCurrentDuring(SmbDirInfo data, long fromSeq, long toSeq, out string why)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (!TryGetVersion(data.Version, out var recorded, out long created, out long superseded))
        {
            why = $"{data}: the server never issued version {data.Version}";
            return false;
        }

        if (!recorded!.SameContent(data))
        {
            why = $"{data}: differs from the server's {recorded}";
            return false;
        }

        if (created > toSeq || superseded <= fromSeq)
        {
            why = $"{data}: current in [{created}, {superseded}) but the call ran in [{fromSeq}, {toSeq}]";
            return false;
        }

        why = string.Empty;
        return true;
    }

    // ----- handle accounting --------------------------------------------------------------

    public IReadOnlyList<SmbHandleRecord> Handles()
    {
        lock (_gate)
        {
            return _handles.Values.OrderBy(h => h.PersistentFid).ToArray();
        }
    }

    public int OpenHandleCount
    {
        get
        {
            lock (_gate)
            {
                return _handles.Values.Count(h => h.State == SmbHandleState.Open);
            }
        }
    }

    public int ActiveLeaseCount
    {
        get
        {
            lock (_gate)
            {
                return _leases.Count;
            }
        }
    }

    /// <summary>Open requests received for <paramref name="path"/> (including failed ones).</summary>
    public int OpenAttempts(string path)
    {
        lock (_gate)
        {
            return _openAttempts.GetValueOrDefault(path);
        }
    }

    public int TotalOpenAttempts
    {
        get
        {
            lock (_gate)
            {
                return _openAttempts.Values.Sum();
            }
        }
    }

    /// <summary>Descriptions of handles not closed exactly once (empty when all is well).</summary>
    public IReadOnlyList<string> HandleProblems(bool requireAllClosed)
    {
        var problems = new List<string>();
        foreach (var h in Handles())
        {
            if (h.State == SmbHandleState.Open)
            {
                if (requireAllClosed || h.CloseRequests > 0)
                {
                    problems.Add($"{h}: still open");
                }
            }
            else if (!h.ClosedExactlyOnce)
            {
                problems.Add(h.ToString());
            }
        }

        if (UnknownCloses > 0)
        {
            problems.Add($"{UnknownCloses} close request(s) for handles never issued");
        }

        return problems;
    }

    // ----- internals ----------------------------------------------------------------------

    private int Mutate(string[] paths, Func<int> apply)
    {
        lock (_gate)
        {
            // No new lease on these directories until the change is done.
            foreach (var p in paths)
            {
                _breakingPaths[p] = _breakingPaths.GetValueOrDefault(p) + 1;
            }
        }

        try
        {
            while (true)
            {
                List<BreakRequest> started;
                List<BreakRequest> all;
                lock (_gate)
                {
                    // A lost connection took its leases with it; they cannot be broken, so the
                    // change waits until the client has reconnected and forgotten what it cached.
                    if (_disconnectedTcons.Count > 0)
                    {
                        Monitor.Wait(_gate);
                        continue;
                    }

                    all = StartBreaks(paths, out started);
                    if (all.Count == 0)
                    {
                        // Nobody holds a lease on these directories any more: change them now,
                        // in the same critical section.
                        return apply();
                    }
                }

                // Wait for every break on these directories, including breaks another request
                // started, then look again.
                Deliver(started, all);
            }
        }
        finally
        {
            lock (_gate)
            {
                foreach (var p in paths)
                {
                    int n = _breakingPaths[p] - 1;
                    if (n == 0)
                    {
                        _breakingPaths.Remove(p);
                    }
                    else
                    {
                        _breakingPaths[p] = n;
                    }
                }
            }
        }
    }

    private void Publish(string path, IReadOnlyList<string> entries, bool newFileId)
    {
        _seq++;
        long fileId;
        if (_dirs.TryGetValue(path, out var existing))
        {
            Supersede(existing.Current);
            fileId = newFileId ? ++_nextFileId : existing.Current.FileId;
        }
        else
        {
            fileId = ++_nextFileId;
        }

        var info = new SmbDirInfo(path, fileId, ++_nextVersion, entries, _seq);
        _versions[info.Version] = (info, long.MaxValue);
        if (existing is not null)
        {
            existing.Current = info;
        }
        else
        {
            _dirs[path] = new DirState(info);
        }
    }

    private void Supersede(SmbDirInfo old)
    {
        _versions[old.Version] = (old, _seq);
    }

    /// <summary>
    /// Under the gate: starts a break for every lease on <paramref name="paths"/> not already
    /// being broken. Returns all the breaks under way on those paths.
    /// </summary>
    private List<BreakRequest> StartBreaks(IReadOnlyCollection<string> paths, out List<BreakRequest> started)
    {
        started = new List<BreakRequest>();
        var all = new List<BreakRequest>();
        foreach (var lease in _leases.Values)
        {
            if (!paths.Contains(lease.Path))
            {
                continue;
            }

            if (lease.Break is null)
            {
                NoteLease(lease.Key, "break started");
                lease.Break = new BreakRequest(lease);
                started.Add(lease.Break);
            }

            all.Add(lease.Break);
        }

        return all;
    }

    private void Deliver(List<BreakRequest> started, List<BreakRequest> all)
    {
        if (all.Count == 0)
        {
            return;
        }

        if (Thread.CurrentThread == _breakThread)
        {
            throw new InvalidOperationException("lease breaks requested from the lease-break thread");
        }

        foreach (var r in started)
        {
            _breakQueue.Add(r);
        }

        foreach (var r in all)
        {
            r.Done.Wait();
        }
    }

    private void BreakLoop()
    {
        foreach (var request in _breakQueue.GetConsumingEnumerable())
        {
            try
            {
                var handler = LeaseBreakHandler;
                if (handler is not null)
                {
                    // As the client's receive path does: walk the connections under
                    // cifs_tcp_ses_lock and offer the break to each tree connection.
                    CifsGlobals.TcpSesLock.Lock();
                    try
                    {
                        foreach (var tcon in _tcons)
                        {
                            if (handler(tcon, request.Lease.Key))
                            {
                                break;
                            }
                        }
                    }
                    finally
                    {
                        CifsGlobals.TcpSesLock.Unlock();
                    }
                }

                Interlocked.Increment(ref _breaksDelivered);
            }
#pragma warning disable CA1031 // A crashing handler is recorded as an oops; the server lives on.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Kernel.RecordOops($"lease break handler threw: {ex}");
            }
            finally
            {
                lock (_gate)
                {
                    // The break is acknowledged: the lease is gone.
                    if (_leases.TryGetValue(request.Lease.Key, out var current) && current == request.Lease)
                    {
                        _leases.Remove(request.Lease.Key);
                        NoteLease(request.Lease.Key, "broken");
                    }
                }

                request.Done.Set();
            }
        }
    }

    private static string ParentOf(string path)
    {
        int i = path.LastIndexOf('/');
        return i < 0 ? string.Empty : path[..i];
    }

    private static string NameOf(string path)
    {
        int i = path.LastIndexOf('/');
        return i < 0 ? path : path[(i + 1)..];
    }

    public void Dispose()
    {
        _breakQueue.CompleteAdding();
        if (_breakThread.Join(TimeSpan.FromSeconds(10)))
        {
            _breakQueue.Dispose();
        }
        else
        {
            Kernel.RecordOops($"server {ShareName}: lease-break thread stuck at shutdown");
        }
    }
}
