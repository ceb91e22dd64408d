namespace SampleCache.Tests;

using System;
using System.Linq;
using SampleCache.Kernel;
using Xunit;
using Ref = SampleCache.Reference;

/// <summary>Edge cases of the reference (corrected) cache, one thread at a time.</summary>
public sealed class ReferenceCacheTests : IDisposable
{
    public ReferenceCacheTests() => Guard.ResetKernelLogs();

    public void Dispose()
    {
    }

    private static void AssertSameAsServer(RefMount rm, Ref.CachedFid cfid, string path)
    {
        var info = Ref.CachedDir.GetCachedInfo(cfid);
        Assert.NotNull(info);
        var current = rm.Server.GetDirectory(path);
        Assert.NotNull(current);
        Assert.True(current!.SameContent(info!), $"cache has {info}, server has {current}");
        Assert.Equal(current.Entries, Ref.CachedDir.GetCachedDirents(cfid));
    }

    [Fact]
    public void OpenCachesTheDirectoryAndServesLaterLookupsLocally()
    {
        using var rm = new RefMount();
        var first = rm.OpenOk("a");
        AssertSameAsServer(rm, first, "a");
        Assert.Equal(2, first.Refcount.Count); // the list's lease reference and ours

        var second = rm.OpenOk("a");
        Assert.Same(first, second);
        Assert.Equal(1, rm.Server.OpenAttempts("a"));
        Assert.Equal(3, first.Refcount.Count);

        Ref.CachedDir.CloseCachedDir(first);
        Ref.CachedDir.CloseCachedDir(second);
        Assert.Equal(1, first.Refcount.Count);
        Assert.Equal(1, rm.Entries);
        Assert.Equal(1, rm.Server.OpenHandleCount);

        var dentry = Ref.CachedDir.GetDentry(first);
        Assert.NotNull(dentry);
        Assert.Equal("a", dentry!.Path);
        Assert.Equal(1, dentry.RefCount); // pinned by the cache

        var root = rm.OpenOk(string.Empty);
        AssertSameAsServer(rm, root, string.Empty);
        Assert.Same(rm.Sb.Root, Ref.CachedDir.GetDentry(root));
        Ref.CachedDir.CloseCachedDir(root);

        rm.Unmount();
        rm.AssertFullyReleased();
        Guard.AssertKernelLogsClean();
    }

    [Fact]
    public void LookupOnlyDoesNotOpen()
    {
        using var rm = new RefMount();
        Assert.Equal(-Errno.ENOENT, rm.Open("a", out var cfid, lookupOnly: true));
        Assert.Null(cfid);
        Assert.Equal(0, rm.Server.TotalOpenAttempts);
        Assert.Equal(0, rm.Entries);
        rm.Unmount();
        rm.AssertFullyReleased();
        Guard.AssertKernelLogsClean();
    }

    [Fact]
    public void LeaseRefusedByServerIsNotCachedAndTheHandleIsClosed()
    {
        using var rm = new RefMount();
        rm.Server.RefuseNextLease("a");
        Assert.Equal(-Errno.EINVAL, rm.Open("a", out var cfid));
        Assert.Null(cfid);
        Assert.Equal(0, rm.Entries);

        var handles = rm.Server.Handles();
        Assert.Single(handles);
        Assert.Equal(SmbHandleState.ClosedByClient, handles[0].State);
        Assert.Equal(1, handles[0].CloseRequests);
        Assert.Empty(rm.M.UnbalancedDentries());

        var again = rm.OpenOk("a"); // the next open gets its lease
        Ref.CachedDir.CloseCachedDir(again);
        Assert.Equal(1, rm.Entries);

        rm.Unmount();
        rm.AssertFullyReleased();
        Guard.AssertKernelLogsClean();
    }

    [Fact]
    public void OpenFailureLeavesNothingBehind()
    {
        using var rm = new RefMount();
        rm.Server.FailNextOpen("a/b", -Errno.EIO);
        Assert.Equal(-Errno.EIO, rm.Open("a/b", out var cfid));
        Assert.Null(cfid);
        Assert.Equal(0, rm.Entries);
        Assert.Empty(rm.Server.Handles());
        Assert.Empty(rm.M.UnbalancedDentries());
        Assert.All(rm.Cfids.AllocatedEntries, e => Assert.Equal(1, e.FreeCount));

        Assert.Equal(-Errno.ENOENT, rm.Open("no/such/dir", out cfid));
        Assert.Null(cfid);
        Assert.Empty(rm.M.UnbalancedDentries());

        rm.Unmount();
        rm.AssertFullyReleased();
        Guard.AssertKernelLogsClean();
    }

    [Fact]
    public void EntryInvalidatedWhileOpeningIsNotReturned()
    {
        using var rm = new RefMount();
        rm.Server.OnOpenReplied = (tcon, path) =>
        {
            rm.Server.OnOpenReplied = null;
            // The connection drops between the server's reply and the client's use of it.
            rm.Server.Disconnect(tcon);
            Ref.CachedDir.InvalidateAllCachedDirs(tcon);
            rm.Server.Reconnect(tcon);
        };

        Assert.Equal(-Errno.ENOENT, rm.Open("a", out var cfid));
        Assert.Null(cfid);
        rm.M.Module.FlushAll();
        Assert.Equal(0, rm.Entries);
        Assert.Empty(rm.M.UnbalancedDentries());
        var handle = Assert.Single(rm.Server.Handles());
        Assert.Equal(SmbHandleState.Dropped, handle.State);

        var again = rm.OpenOk("a");
        AssertSameAsServer(rm, again, "a");
        Ref.CachedDir.CloseCachedDir(again);

        rm.Unmount();
        rm.AssertFullyReleased();
        Guard.AssertKernelLogsClean();
    }

    [Fact]
    public void LimitReachedSeventeenthDirectoryIsNotCached()
    {
        var dirs = Enumerable.Range(0, 17).Select(i => $"d{i}").ToArray();
        using var rm = new RefMount(dirs: dirs);
        for (int i = 0; i < 16; i++)
        {
            Ref.CachedDir.CloseCachedDir(rm.OpenOk(dirs[i]));
        }

        Assert.Equal(16, rm.Entries);
        Assert.Equal(-Errno.ENOENT, rm.Open("d16", out var cfid));
        Assert.Null(cfid);
        Assert.Equal(0, rm.Server.OpenAttempts("d16"));
        Assert.Equal(16, rm.Entries);

        // Make room: rmdir drops one entry, after which the 17th can be cached.
        Ref.CachedDir.DropCachedDirByName(rm.Tcon, "d0", rm.Sb);
        Assert.Equal(15, rm.Entries);
        Ref.CachedDir.CloseCachedDir(rm.OpenOk("d16"));
        Assert.Equal(16, rm.Entries);

        rm.Unmount();
        rm.AssertFullyReleased();
        Guard.AssertKernelLogsClean();
    }

    [Fact]
    public void LeaseBreakDuringOpenGivesTheHandleBack()
    {
        using var rm = new RefMount();
        int broken = 0;
        rm.Server.OnOpenReplied = (tcon, path) =>
        {
            rm.Server.OnOpenReplied = null;
            broken = rm.Server.BreakLease(path); // delivered to the client before the reply is
        };

        Assert.Equal(-Errno.ENOENT, rm.Open("a", out var cfid));
        Assert.Null(cfid);
        Assert.Equal(1, broken);
        rm.M.Module.FlushAll();

        Assert.Equal(0, rm.Entries);
        var handle = Assert.Single(rm.Server.Handles());
        Assert.Equal(SmbHandleState.ClosedByClient, handle.State);
        Assert.Equal(1, handle.CloseRequests);
        Assert.Equal(1, rm.Tcon.TcCount);
        Assert.Empty(rm.M.UnbalancedDentries());

        rm.Unmount();
        rm.AssertFullyReleased();
        Guard.AssertKernelLogsClean();
    }

    [Fact]
    public void LeaseBreakFromServerDropsTheEntryAndClosesTheHandle()
    {
        using var rm = new RefMount();
        var cfid = rm.OpenOk("a/b");
        Ref.CachedDir.CloseCachedDir(cfid);
        Assert.Equal(1, rm.Entries);

        Assert.Equal(1, rm.Server.BreakLease("a/b"));
        Assert.Equal(0, rm.Entries); // unlinked by the handler itself
        rm.M.Module.FlushAll();      // put work, then close work
        Assert.True(cfid.Freed);
        Assert.Equal(0, rm.Server.OpenHandleCount);
        Assert.Equal(1, rm.Tcon.TcCount);
        Assert.Empty(rm.M.UnbalancedDentries());

        rm.Unmount();
        rm.AssertFullyReleased();
        Guard.AssertKernelLogsClean();
    }

    [Fact]
    public void LeaseBreakWhileInUseKeepsTheEntryUntilClosed()
    {
        using var rm = new RefMount();
        var cfid = rm.OpenOk("a");
        Assert.Equal(1, rm.Server.BreakLease("a"));
        rm.M.Module.FlushAll();
        Assert.False(cfid.Freed);
        Assert.Equal(1, rm.Server.OpenHandleCount);
        AssertSameAsServer(rm, cfid, "a");

        Ref.CachedDir.CloseCachedDir(cfid);
        Assert.True(cfid.Freed);
        Assert.Equal(0, rm.Server.OpenHandleCount);

        rm.Unmount();
        rm.AssertFullyReleased();
        Guard.AssertKernelLogsClean();
    }

    [Fact]
    public void DirectoryChangeBreaksTheLeaseAndTheNextOpenSeesTheNewContent()
    {
        using var rm = new RefMount();
        Ref.CachedDir.CloseCachedDir(rm.OpenOk("c"));
        Assert.Equal(0, rm.Server.AddFile("c", "new.txt"));
        Assert.Equal(0, rm.Entries);

        var cfid = rm.OpenOk("c");
        Assert.Contains("new.txt", Ref.CachedDir.GetCachedDirents(cfid));
        AssertSameAsServer(rm, cfid, "c");
        Ref.CachedDir.CloseCachedDir(cfid);

        rm.Unmount();
        rm.AssertFullyReleased();
        Guard.AssertKernelLogsClean();
    }

    [Fact]
    public void ReplayableErrorIsRetriedAfterASleep()
    {
        using var rm = new RefMount();
        long sleepsBefore = Kernel.MsleepCalls;
        rm.Server.FailNextOpenReplayable("a");

        var cfid = rm.OpenOk("a");
        Assert.Equal(2, rm.Server.OpenAttempts("a"));
        Assert.True(Kernel.MsleepCalls > sleepsBefore);
        var handle = Assert.Single(rm.Server.Handles());
        Assert.True(handle.Replay);
        Assert.Equal(1, rm.Entries);
        AssertSameAsServer(rm, cfid, "a");
        Ref.CachedDir.CloseCachedDir(cfid);

        // With retries exhausted the error comes back, and nothing is left behind.
        rm.Server.FailNextOpenReplayable("c", times: 2);
        Assert.Equal(-Errno.EAGAIN, rm.Open("c", out var none));
        Assert.Null(none);
        Assert.Equal(2, rm.Server.OpenAttempts("c"));
        Assert.Equal(1, rm.Entries);

        rm.Unmount();
        rm.AssertFullyReleased();
        Guard.AssertKernelLogsClean();
    }

    [Fact]
    public void LaundromatExpiresOldEntriesOnly()
    {
        using var rm = new RefMount(dirCacheTimeout: 30);
        var clock = rm.M.Clock;
        var a = rm.OpenOk("a");
        Ref.CachedDir.CloseCachedDir(a);
        var aDentry = Ref.CachedDir.GetDentry(a)!;

        clock.Advance(10 * JiffiesClock.HZ);
        var c = rm.OpenOk("c");
        Ref.CachedDir.CloseCachedDir(c);

        // The laundromat was armed for 30 s after the mount; at 31 s "a" (31 s old) has
        // expired and "c" (21 s old) has not.
        clock.Advance(21 * JiffiesClock.HZ);
        rm.M.Module.CfidPutWq.Flush();     // the laundromat run queued by the clock
        rm.M.Module.ServerCloseWq.Flush(); // the close work it queued

        Assert.Equal(new[] { "c" }, Ref.CachedDir.CachedPaths(rm.Cfids));
        Assert.True(a.Freed);
        Assert.False(c.Freed);
        Assert.Equal(0, aDentry.RefCount);
        var aHandle = rm.Server.Handles().Single(h => h.Path == "a");
        Assert.Equal(SmbHandleState.ClosedByClient, aHandle.State);
        Assert.Equal(1, rm.Tcon.TcCount);

        rm.Unmount();
        rm.AssertFullyReleased();
        Guard.AssertKernelLogsClean();
    }

    [Fact]
    public void RmdirOfACachedDirectoryDropsItAtOnce()
    {
        using var rm = new RefMount();
        var cfid = rm.OpenOk("a/b");
        Ref.CachedDir.CloseCachedDir(cfid);

        Ref.CachedDir.DropCachedDirByName(rm.Tcon, "a/b", rm.Sb);
        Assert.Equal(0, rm.Entries);
        Assert.True(cfid.Freed);
        Assert.Equal(0, rm.Server.OpenHandleCount);
        Assert.Empty(rm.M.UnbalancedDentries());

        Assert.Equal(0, rm.Server.RemoveDirectory("a/b"));
        Assert.Equal(-Errno.ENOENT, rm.Open("a/b", out var gone));
        Assert.Null(gone);

        // Dropping a name that is not cached is harmless.
        Ref.CachedDir.DropCachedDirByName(rm.Tcon, "c", rm.Sb);

        rm.Unmount();
        rm.AssertFullyReleased();
        Guard.AssertKernelLogsClean();
    }

    [Fact]
    public void RmdirWhileInUseReleasesOnLastClose()
    {
        using var rm = new RefMount();
        var cfid = rm.OpenOk("c");
        Ref.CachedDir.DropCachedDirByName(rm.Tcon, "c", rm.Sb);
        Assert.Equal(0, rm.Entries);
        Assert.False(cfid.Freed);
        Assert.Equal(1, cfid.Refcount.Count);
        Assert.Equal(1, rm.Server.OpenHandleCount);

        Ref.CachedDir.CloseCachedDir(cfid);
        Assert.True(cfid.Freed);
        Assert.Equal(0, rm.Server.OpenHandleCount);

        rm.Unmount();
        rm.AssertFullyReleased();
        Guard.AssertKernelLogsClean();
    }

    [Fact]
    public void OpenByDentryFindsTheCachedEntry()
    {
        using var rm = new RefMount();
        var cfid = rm.OpenOk("a/b");
        var dentry = Vfs.PathToDentry(rm.Sb, "a/b");
        Assert.Same(Ref.CachedDir.GetDentry(cfid), dentry);

        Assert.Equal(0, Ref.CachedDir.OpenCachedDirByDentry(rm.Tcon, dentry, out var byDentry));
        Assert.Same(cfid, byDentry);
        Ref.CachedDir.CloseCachedDir(byDentry!);
        dentry.Put();

        var other = Vfs.PathToDentry(rm.Sb, "c");
        Assert.Equal(-Errno.ENOENT, Ref.CachedDir.OpenCachedDirByDentry(rm.Tcon, other, out var none));
        Assert.Null(none);
        other.Put();

        Ref.CachedDir.CloseCachedDir(cfid);
        rm.Unmount();
        rm.AssertFullyReleased();
        Guard.AssertKernelLogsClean();
    }

    [Fact]
    public void ReconnectInvalidatesEverything()
    {
        using var rm = new RefMount();
        var held = rm.OpenOk("a");
        Ref.CachedDir.CloseCachedDir(rm.OpenOk("c"));
        Ref.CachedDir.CloseCachedDir(rm.OpenOk(string.Empty));
        Assert.Equal(3, rm.Entries);

        rm.Server.Disconnect(rm.Tcon);
        Ref.CachedDir.InvalidateAllCachedDirs(rm.Tcon);
        rm.Server.Reconnect(rm.Tcon);
        rm.M.Module.FlushAll();

        Assert.Equal(0, rm.Entries);
        Assert.False(held.Freed); // still ours
        Ref.CachedDir.CloseCachedDir(held);
        Assert.True(held.Freed);
        Assert.All(rm.Server.Handles(), h =>
        {
            Assert.Equal(SmbHandleState.Dropped, h.State);
            Assert.Equal(0, h.CloseRequests); // the client knows they are gone
        });
        Assert.Empty(rm.M.UnbalancedDentries());

        var fresh = rm.OpenOk("a");
        AssertSameAsServer(rm, fresh, "a");
        Ref.CachedDir.CloseCachedDir(fresh);

        rm.Unmount();
        rm.AssertFullyReleased();
        Guard.AssertKernelLogsClean();
    }

    [Fact]
    public void UnmountReleasesEveryDentryAndHandle()
    {
        using var rm = new RefMount();
        foreach (var path in new[] { string.Empty, "a", "a/b", "c" })
        {
            Ref.CachedDir.CloseCachedDir(rm.OpenOk(path));
        }

        Assert.Equal(4, rm.Entries);
        Assert.NotEmpty(rm.M.UnbalancedDentries());

        Ref.CachedDir.CloseAllCachedDirs(rm.Sb);
        Assert.Empty(rm.M.UnbalancedDentries()); // dentries go first, entries stay
        Assert.Equal(4, rm.Entries);
        Assert.Equal(4, rm.Server.OpenHandleCount);

        Ref.CachedDir.FreeCachedDirs(rm.Cfids);
        rm.M.Module.FlushAll();
        Assert.Equal(0, rm.Server.OpenHandleCount);
        Assert.All(rm.Server.Handles(), h => Assert.Equal(SmbHandleState.ClosedByClient, h.State));
        Assert.Null(rm.Tcon.Cfids);
        rm.AssertFullyReleased();
        Guard.AssertKernelLogsClean();
    }

    [Fact]
    public void NoCacheWithoutLeaseSupport()
    {
        using var rm = new RefMount();
        rm.M.TcpServer.SupportsLeases = false;
        Assert.Equal(-Errno.EIO, rm.Open("a", out var cfid));
        Assert.Null(cfid);
        Assert.Equal(0, rm.Server.TotalOpenAttempts);
        rm.Unmount();
        rm.AssertFullyReleased();
        Guard.AssertKernelLogsClean();
    }
}
