using System.Threading.Tasks;
using Xunit;
using V = LockOrder.Tests.Verify<LockOrder.Rules.SleepInAtomicAnalyzer>;

namespace LockOrder.Tests;

public class SleepInAtomicTests
{
    [Fact]
    public Task Flagged_DeclaredSpinlockAndTaskWait_WithMessage()
        => V.WithTable("""
            using System.Threading.Tasks;
            class C
            {
                public static readonly object S = new object();
                void M(Task t)
                {
                    lock (S)
                    {
                        t.Wait();
                    }
                }
            }
            """, Tables.ABS,
            V.Diagnostic("LOCK002").WithSpan(9, 13, 9, 21).WithSpan(7, 9, 7, 17)
                .WithMessage("'Task.Wait' may sleep, but spinlock 'c->s' (row 3) is held; move the call after 'c->s' (row 3) is released"));

    [Fact]
    public Task Clean_MutexClassLockAndSleep()
        => V.Source("""
            using System.Threading;
            class C
            {
                private readonly object _gate = new object();
                void M() { lock (_gate) { Thread.Sleep(1); } }
            }
            """);

    [Fact]
    public Task Flagged_SleepingLockUnderSpinLock_AndCleanAfterExit()
        => V.Source("""
            using System.Threading;
            class C
            {
                private SpinLock _spin = new SpinLock(false);
                private readonly object _gate = new object();
                private readonly SemaphoreSlim _sem = new SemaphoreSlim(1);
                void M()
                {
                    bool taken = false;
                    _spin.Enter(ref taken);
                    {|LOCK002:Monitor.Enter(_gate)|};
                    Monitor.Exit(_gate);
                    {|LOCK002:_sem.Wait()|};
                    _sem.Release();
                    _sem.Wait(0);
                    {|LOCK002:_sem.Wait(100)|};
                    _spin.Exit();
                    lock (_gate) { Thread.Sleep(1); }
                }
            }
            """);

    [Fact]
    public Task Flagged_CatalogWaits()
        => V.Source("""
            using System.IO;
            using System.Threading;
            using System.Threading.Tasks;
            class C
            {
                private SpinLock _spin = new SpinLock(false);
                void M(Task<int> t, Stream s, ManualResetEventSlim e, Thread th)
                {
                    bool taken = false;
                    try
                    {
                        _spin.Enter(ref taken);
                        int r = {|LOCK002:t.Result|};
                        {|LOCK002:t.GetAwaiter().GetResult()|};
                        {|LOCK002:s.Read(new byte[1], 0, 1)|};
                        {|LOCK002:new MemoryStream().Flush()|};
                        {|LOCK002:e.Wait()|};
                        {|LOCK002:th.Join()|};
                        {|LOCK002:File.ReadAllText("x")|};
                        {|LOCK002:Parallel.For(0, 1, i => { })|};
                    }
                    finally
                    {
                        if (taken) _spin.Exit();
                    }
                }
            }
            """);

    [Fact]
    public Task Edge_LockTakenFalseBranchIsNotAtomic()
        => V.Source("""
            using System.Threading;
            class C
            {
                private SpinLock _spin = new SpinLock(false);
                void M()
                {
                    bool taken = false;
                    _spin.TryEnter(ref taken);
                    if (taken)
                    {
                        {|LOCK002:Thread.Sleep(1)|};
                        _spin.Exit();
                    }
                    else
                    {
                        Thread.Sleep(1);
                    }
                }
            }
            """);

    [Fact]
    public Task Edge_LoopAndEarlyReturn()
        => V.Source("""
            using System.Threading;
            class C
            {
                private SpinLock _spin = new SpinLock(false);
                void M(int n)
                {
                    bool taken = false;
                    _spin.Enter(ref taken);
                    for (int i = 0; i < n; i++)
                    {
                        if (i == 3)
                        {
                            _spin.Exit();
                            Thread.Sleep(1);
                            return;
                        }
                        {|LOCK002:Thread.Sleep(1)|};
                    }
                    _spin.Exit();
                    Thread.Sleep(1);
                }
            }
            """);

    [Fact]
    public Task Flagged_TableBlockingListAndCustomPrimitives()
        => V.WithTable(Tables.KernelTypes + """
            namespace K
            {
                static class Ops
                {
                    static void M(Entry e)
                    {
                        e.EntryLock.Lock();
                        {|LOCK002:Io.Sleepy()|};
                        {|LOCK002:e.Mutex.Lock()|};
                        e.Mutex.Unlock();
                        if (e.Mutex.TryLock()) e.Mutex.Unlock();
                        e.EntryLock.Unlock();
                        Io.Sleepy();
                        e.Mutex.Lock();
                        e.Mutex.Unlock();
                    }
                }
            }
            """, Tables.Kernel);

    [Fact]
    public Task Edge_MutexUnderDeclaredSpinlockAndNestedSpinlock()
        => V.WithTable("""
            using System.Threading;
            class C
            {
                public static readonly object A = new object();
                public static readonly object S = new object();
                void M()
                {
                    lock (S)
                    {
                        {|LOCK002:lock (A)|}
                        {
                            {|LOCK002:Thread.Sleep(1)|};
                        }
                    }
                }
            }
            """, Tables.ABS);
}
