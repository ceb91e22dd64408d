using System;
using System.Collections.Generic;
using System.Threading;

namespace SampleCache.Kernel;

/// <summary>Module-wide globals of the SMB client.</summary>
public static class CifsGlobals
{
    /// <summary><c>cifs_tcp_ses_lock</c>: protects the list of server connections (lock table row 10).</summary>
    public static readonly Spinlock TcpSesLock = new(LockClass.Of("cifs_tcp_ses_lock"));

    /// <summary><c>GlobalMid_Lock</c> (lock table row 11).</summary>
    public static readonly Spinlock GlobalMidLock = new(LockClass.Of("GlobalMid_Lock"));
}

/// <summary>
/// The client module's shared facilities: the jiffies clock, the work queues the cache uses and
/// the <c>dir_cache_timeout</c> parameter.
/// </summary>
public sealed class CifsModule : IDisposable
{
    public CifsModule(JiffiesClock? clock = null, int dirCacheTimeoutSeconds = 30, int workersPerQueue = 2)
    {
        Clock = clock ?? new JiffiesClock();
        DirCacheTimeout = dirCacheTimeoutSeconds;
        CfidPutWq = new WorkQueue("cfid_put_wq", workersPerQueue);
        ServerCloseWq = new WorkQueue("serverclose_wq", workersPerQueue);
        CifsiodWq = new WorkQueue("cifsiod", workersPerQueue);
    }

    public JiffiesClock Clock { get; }

    /// <summary>Seconds a cached directory may stay unused before the laundromat drops it.</summary>
    public int DirCacheTimeout { get; set; }

    public WorkQueue CfidPutWq { get; }

    public WorkQueue ServerCloseWq { get; }

    public WorkQueue CifsiodWq { get; }

    /// <summary>Waits until all three queues are idle (work queued by work included).</summary>
    public void FlushAll()
    {
        for (int round = 0; round < 100; round++)
        {
            CfidPutWq.Flush();
            ServerCloseWq.Flush();
            CifsiodWq.Flush();
            if (CfidPutWq.InFlight == 0 && ServerCloseWq.InFlight == 0 && CifsiodWq.InFlight == 0)
            {
                return;
            }
        }
    }

    public void Dispose()
    {
        CfidPutWq.Dispose();
        ServerCloseWq.Dispose();
        CifsiodWq.Dispose();
        Clock.Dispose();
    }
}

/// <summary>A connection to a server (<c>struct TCP_Server_Info</c>).</summary>
public sealed class TcpServerInfo
{
    public readonly KMutex ReconnectMutex = new(LockClass.Of("TCP_Server_Info->reconnect_mutex"));
    public readonly KMutex SrvMutex = new(LockClass.Of("TCP_Server_Info->srv_mutex"));
    public readonly Spinlock SrvLock = new(LockClass.Of("TCP_Server_Info->srv_lock"));
    public readonly Spinlock MidLock = new(LockClass.Of("TCP_Server_Info->mid_lock"));
    public readonly Spinlock ReqLock = new(LockClass.Of("TCP_Server_Info->req_lock"));

    public TcpServerInfo(SmbServer remote)
    {
        Remote = remote ?? throw new ArgumentNullException(nameof(remote));
    }

    /// <summary>The server at the other end.</summary>
    public SmbServer Remote { get; }

    /// <summary>How many times a request that failed with a replayable error is sent again.</summary>
    public int Retrans { get; set; } = 1;

    /// <summary>Supports directory leases (the cache is only used when it does).</summary>
    public bool SupportsLeases { get; set; } = true;
}

/// <summary>An SMB session (<c>struct cifs_ses</c>).</summary>
public sealed class CifsSes
{
    public readonly KMutex SessionMutex = new(LockClass.Of("cifs_ses->session_mutex"));
    public readonly Spinlock SesLock = new(LockClass.Of("cifs_ses->ses_lock"));
    public readonly Spinlock IfaceLock = new(LockClass.Of("cifs_ses->iface_lock"));
    public readonly Spinlock ChanLock = new(LockClass.Of("cifs_ses->chan_lock"));

    public CifsSes(TcpServerInfo server)
    {
        Server = server ?? throw new ArgumentNullException(nameof(server));
    }

    public TcpServerInfo Server { get; }
}

/// <summary>A tree connection to one share (<c>struct cifs_tcon</c>).</summary>
public sealed class CifsTcon
{
    private static int s_nextId;

    public readonly Spinlock OpenFileLock = new(LockClass.Of("cifs_tcon->open_file_lock"));
    public readonly Spinlock StatLock = new(LockClass.Of("cifs_tcon->stat_lock"));
    public readonly Spinlock TcLock = new(LockClass.Of("cifs_tcon->tc_lock"));

    /// <summary>The tcon's reference count; belongs under <see cref="TcLock"/>. Starts at one (the mount's).</summary>
    public int TcCount = 1;

    /// <summary>Number of handles opened on the server through this tcon (atomic).</summary>
    public int NumRemoteOpens;

    /// <summary>The cached directory handles of this share (a <c>CachedFids</c> of whichever cache is attached).</summary>
    public object? Cfids;

    public CifsTcon(CifsSes ses, SmbServer share, CifsModule module, string treeName = "share")
    {
        Ses = ses ?? throw new ArgumentNullException(nameof(ses));
        Share = share ?? throw new ArgumentNullException(nameof(share));
        Module = module ?? throw new ArgumentNullException(nameof(module));
        TreeName = treeName;
        Id = Interlocked.Increment(ref s_nextId);
        share.TreeConnect(this);
    }

    public int Id { get; }

    public string TreeName { get; }

    public CifsSes Ses { get; }

    /// <summary>The server that exports the share.</summary>
    public SmbServer Share { get; }

    public CifsModule Module { get; }

    /// <summary>The most directories the cache keeps for this share.</summary>
    public int MaxCachedDirs { get; set; } = 16;

    public volatile bool NeedReconnect;

    public override string ToString() => $"tcon#{Id}({TreeName})";
}

/// <summary>A mounted superblock (<c>struct cifs_sb_info</c>).</summary>
public sealed class CifsSbInfo
{
    public readonly Spinlock TlinkTreeLock = new(LockClass.Of("cifs_sb_info->tlink_tree_lock"));

    /// <summary>The tree connections of this mount; guarded by <see cref="TlinkTreeLock"/>.</summary>
    public readonly List<CifsTcon> TlinkTree = new();

    public CifsSbInfo(CifsTcon masterTcon)
    {
        MasterTcon = masterTcon ?? throw new ArgumentNullException(nameof(masterTcon));
        Share = masterTcon.Share;
        Root = new Dentry(this, null, string.Empty, 1);
        TlinkTreeLock.Lock();
        TlinkTree.Add(masterTcon);
        TlinkTreeLock.Unlock();
    }

    public CifsTcon MasterTcon { get; }

    public SmbServer Share { get; }

    /// <summary>The root dentry; the superblock holds one reference on it.</summary>
    public Dentry Root { get; }

    /// <summary>Every dentry in this mount's dentry cache.</summary>
    public IReadOnlyList<Dentry> AllDentries()
    {
        var all = new List<Dentry>();
        var stack = new Stack<Dentry>();
        stack.Push(Root);
        while (stack.Count > 0)
        {
            var d = stack.Pop();
            all.Add(d);
            foreach (var c in d.Children)
            {
                stack.Push(c);
            }
        }

        return all;
    }

    /// <summary>The cached dentry for <paramref name="path"/>, if a lookup has created it.</summary>
    public Dentry? FindCachedDentry(string path)
    {
        foreach (var d in AllDentries())
        {
            if (d.Path == path)
            {
                return d;
            }
        }

        return null;
    }
}
