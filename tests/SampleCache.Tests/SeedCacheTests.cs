namespace SampleCache.Tests;

using System;
using System.Linq;
using SampleCache.Kernel;
using Xunit;
using SeedCache = SampleCache.Seed;

/// <summary>
/// The series as posted, run on one thread: the runtime counterpart of the reviewers'
/// CONFIG_DEBUG_ATOMIC_SLEEP splats.
/// </summary>
public sealed class SeedCacheTests
{
    public SeedCacheTests() => Guard.ResetKernelLogs();

    [Fact]
    public void SeedLaundromatPutsADentryUnderFidLock()
    {
        using var sm = new SeedMount(dirCacheTimeout: 30);
        var m = sm.M;

        // Keep the clock from starting the laundromat on a worker: this test runs it itself.
        sm.Cfids.LaundromatWork.CancelSync();

        Assert.Equal(0, SeedCache.CachedDir.OpenCachedDir(m.Tcon, string.Empty, m.Sb, false, out var cfid));
        Assert.NotNull(cfid);
        SeedCache.CachedDir.CloseCachedDir(cfid!);
        Assert.Equal(1, cfid!.Refcount.Count); // only the lease reference is left
        Assert.Empty(Kernel.AtomicSleepViolations);

        m.Clock.Advance((30 * JiffiesClock.HZ) + 1);
        Guard.RunWithin(TimeSpan.FromSeconds(60), () =>
        {
            SeedCache.CachedDir.RunLaundromat(sm.Cfids);
            m.Module.FlushAll(); // the close work closes the handle on a worker
        }, "seed laundromat");

        var violations = Kernel.AtomicSleepViolations;
        Assert.NotEmpty(violations);
        Assert.Contains(violations, v =>
            v.Caller == nameof(Dentry.Put) && v.HeldLocks.Contains("cached_fid->fid_lock"));

        // Apart from sleeping in atomic context, the entry went away properly here.
        Assert.True(cfid.Freed);
        Assert.Equal(0, m.Server.OpenHandleCount);
        Assert.Equal(1, m.Tcon.TcCount);
        Assert.Empty(m.UnbalancedDentries());
        SeedCache.CachedDir.FreeCachedDirs(sm.Cfids);
    }

    [Fact]
    public void SeedOpenWalksThePathUnderFidLock()
    {
        using var sm = new SeedMount();
        var m = sm.M;
        Guard.RunWithin(TimeSpan.FromSeconds(60), () =>
        {
            Assert.Equal(0, SeedCache.CachedDir.OpenCachedDir(m.Tcon, "a/b", m.Sb, false, out var cfid));
            Assert.NotNull(cfid);
            SeedCache.CachedDir.CloseCachedDir(cfid!);
        }, "seed open");

        var violations = Kernel.AtomicSleepViolations;
        Assert.Contains(violations, v =>
            v.Caller == nameof(Vfs.PathToDentry) && v.HeldLocks.Contains("cached_fid->fid_lock"));
        Assert.Contains(violations, v =>
            v.Caller == nameof(Dentry.Put) && v.HeldLocks.Contains("cached_fid->fid_lock"));

        SeedCache.CachedDir.CloseAllCachedDirs(m.Sb);
        SeedCache.CachedDir.FreeCachedDirs(sm.Cfids);
        m.Module.FlushAll();
    }

    [Fact]
    public void ReferenceRunsTheSameScenarioCleanly()
    {
        using var rm = new RefMount(dirCacheTimeout: 30);
        rm.Cfids.LaundromatWork.CancelSync();
        foreach (var path in new[] { string.Empty, "a/b" })
        {
            Reference.CachedDir.CloseCachedDir(rm.OpenOk(path));
        }

        rm.M.Clock.Advance((30 * JiffiesClock.HZ) + 1);
        Guard.RunWithin(TimeSpan.FromSeconds(60), () =>
        {
            Reference.CachedDir.RunLaundromat(rm.Cfids);
            rm.M.Module.FlushAll();
        }, "reference laundromat");

        Assert.Equal(0, rm.Entries);
        rm.Unmount();
        rm.AssertFullyReleased();
        Guard.AssertKernelLogsClean();
    }
}
