namespace SampleCache.Tests;

using System;
using System.Threading;
using SampleCache.Kernel;
using Xunit;

/// <summary>The kernel layer's primitives behave like their namesakes.</summary>
public sealed class KernelTests
{
    public KernelTests() => Guard.ResetKernelLogs();

    [Fact]
    public void SpinlockTracksAtomicContextAndRejectsMisuse()
    {
        var a = new Spinlock("a");
        var b = new Spinlock("b");
        Assert.Equal(0, Spinlock.HeldByCurrentThread);
        a.Lock();
        Assert.True(b.TryLock());
        Assert.Equal(2, Spinlock.HeldByCurrentThread);
        Assert.Equal(new[] { "a", "b" }, Spinlock.HeldNamesForCurrentThread);
        Assert.Throws<InvalidOperationException>(() => a.Lock()); // not reentrant

        bool otherGot = true;
        var t = new Thread(() =>
        {
            otherGot = a.TryLock();
            try
            {
                a.Unlock();
            }
            catch (InvalidOperationException)
            {
                // expected: not the owner
            }
        });
        t.Start();
        t.Join();
        Assert.False(otherGot);

        b.Unlock();
        a.Unlock();
        Assert.Equal(0, Spinlock.HeldByCurrentThread);
        Assert.Throws<InvalidOperationException>(() => a.Unlock());
        Kernel.ClearOopses();
    }

    [Fact]
    public void MightSleepRecordsOnlyUnderASpinlock()
    {
        var l = new Spinlock("test_lock");
        Kernel.MightSleep();
        Assert.Empty(Kernel.AtomicSleepViolations);

        l.Lock();
        Kernel.Msleep(0);
        l.Unlock();
        var v = Assert.Single(Kernel.AtomicSleepViolations);
        Assert.Equal(nameof(Kernel.Msleep), v.Caller);
        Assert.Equal(new[] { "test_lock" }, v.HeldLocks);

        var mutex = new KMutex("m");
        l.Lock();
        Assert.True(mutex.TryLock()); // a try-lock never sleeps
        l.Unlock();
        mutex.Unlock();
        Assert.Single(Kernel.AtomicSleepViolations);
        Kernel.ClearAtomicSleepViolations();
        Assert.Empty(Kernel.AtomicSleepViolations);
    }

    [Fact]
    public void KrefRunsTheReleaseOnceAndNeverGoesNegative()
    {
        var owner = new object();
        var kref = new Kref<object>(owner);
        int released = 0;
        kref.Get();
        Assert.False(kref.Put(o => released++));
        Assert.True(kref.Put(o =>
        {
            Assert.Same(owner, o);
            released++;
        }));
        Assert.Equal(1, released);
        Assert.Equal(0, kref.Count);
        Assert.False(kref.GetUnlessZero());
        Assert.Throws<InvalidOperationException>(() => kref.Put(o => released++));
        Assert.Equal(0, kref.Count);
        Assert.Equal(1, released);
        Kernel.ClearOopses();
    }

    [Fact]
    public void WorkQueueRunsOnWorkersAndFlushWaits()
    {
        using var wq = new WorkQueue("test_wq", 1);
        using var gate = new ManualResetEventSlim(false);
        int ran = 0;
        int caller = Environment.CurrentManagedThreadId;
        int ranOn = caller;
        var blocker = new WorkItem(() => gate.Wait());
        var w = new WorkItem(() =>
        {
            ranOn = Environment.CurrentManagedThreadId;
            Interlocked.Increment(ref ran);
        });
        try
        {
            Assert.True(wq.Queue(blocker)); // occupies the only worker until the gate opens
            Assert.True(wq.Queue(w));
            Assert.False(wq.Queue(w)); // still pending behind the blocker
            Assert.True(w.IsPending);
            Assert.Equal(0, ran);     // never run inline
        }
        finally
        {
            gate.Set();
        }

        wq.Flush();
        Assert.Equal(1, ran);
        Assert.NotEqual(caller, ranOn);
        Assert.False(w.IsPending);
        Assert.True(wq.Queue(w)); // can be queued again once it ran
        wq.Flush();
        Assert.Equal(2, ran);
    }

    [Fact]
    public void DelayedWorkFollowsTheClockAndCancels()
    {
        using var clock = new JiffiesClock();
        using var wq = new WorkQueue("test_dwq", 1);
        int ran = 0;
        var dw = new DelayedWork(clock, () => Interlocked.Increment(ref ran));
        Assert.True(dw.Queue(wq, 10));
        Assert.True(dw.IsPending);
        clock.Advance(9);
        wq.Flush();
        Assert.Equal(0, ran);
        clock.Advance(1);
        wq.Flush();
        Assert.Equal(1, ran);

        Assert.True(dw.Queue(wq, 5));
        dw.CancelSync();
        Assert.False(dw.IsPending);
        Assert.Equal(0, clock.ArmedTimers);
        clock.Advance(10);
        wq.Flush();
        Assert.Equal(1, ran);
        Assert.False(dw.IsPending);
    }

    [Fact]
    public void DentryPutMaySleepAndCountsBalance()
    {
        using var server = new SmbServer();
        Assert.Equal(0, server.CreateDirectory("x"));
        using var module = new CifsModule();
        var tcon = new CifsTcon(new CifsSes(new TcpServerInfo(server)), server, module);
        var sb = new CifsSbInfo(tcon);
        var d = Vfs.PathToDentry(sb, "x");
        Assert.Equal(1, d.RefCount);
        Assert.Equal(1, sb.Root.RefCount);
        Assert.Throws<KernelException>(() => Vfs.PathToDentry(sb, "x/y"));
        Assert.Equal(1, sb.Root.RefCount);
        d.Put();
        Assert.Equal(0, d.RefCount);
        Assert.Throws<InvalidOperationException>(() => d.Put());
        Assert.Equal(0, d.RefCount);
        Kernel.ClearOopses();
    }
}
