using System.Threading.Tasks;
using Xunit;
using V = LockOrder.Tests.Verify<LockOrder.Rules.UnbalancedLockingAnalyzer>;

namespace LockOrder.Tests;

public class UnbalancedTests
{
    private const string Header = """
        using System;
        using System.Threading;
        class C
        {
            private readonly object _a = new object();
            private readonly Lock _l = new Lock();
            private readonly SemaphoreSlim _sem = new SemaphoreSlim(1);
        """;

    [Fact]
    public Task Flagged_EarlyReturnLeaksLock_WithMessage()
        => V.Source(Header + """
                void M(bool x)
                {
                    Monitor.Enter(_a);
                    if (x) return;
                    Monitor.Exit(_a);
                }
            }
            """,
            V.Diagnostic("LOCK004").WithSpan(9, 9, 9, 26).WithSpan(7, 73, 7, 74)
                .WithMessage("'C._a' is still held when 'M' returns on some paths but not on others; release it on every path, or declare the method as a primitive in lockorder.json if it is meant to return holding the lock"));

    [Fact]
    public Task Flagged_ReleaseOfLockNotHeld()
        => V.Source(Header + """
                void M() { {|LOCK004:Monitor.Exit(_a)|}; }
            }
            """);

    /// <summary>A release helper that takes the caller's taken flag by reference (StackExchange.Redis's
    /// <c>ReleaseLock(ref bool lockTaken)</c>): where the flag is true the caller holds the lock, so the release in
    /// the helper is the caller's, and the helper that takes the lock with that flag is not a leak either.</summary>
    [Fact]
    public Task Clean_ReleaseHelperGuardedByTheCallersTakenFlag()
        => V.Source(Header + """
                void TakeLock(ref bool lockTaken)
                {
                    if (!lockTaken)
                    {
                        Monitor.TryEnter(this, 10_000, ref lockTaken);
                        if (!lockTaken) throw new TimeoutException();
                    }
                }

                void ReleaseLock(ref bool lockTaken)
                {
                    if (lockTaken)
                    {
                        Monitor.Exit(this);
                        lockTaken = false;
                    }
                }

                void Work()
                {
                    bool lockTaken = false;
                    try
                    {
                        TakeLock(ref lockTaken);
                        Console.WriteLine();
                    }
                    finally
                    {
                        ReleaseLock(ref lockTaken);
                    }
                }
            }
            """);

    /// <summary>A <c>ref bool</c> parameter is the caller's taken flag only where the release depends on it being
    /// true and the helper never sets it to anything but false: an unguarded release, a release where it is false,
    /// and a helper that sets it to true are reported as before.</summary>
    [Fact]
    public Task Flagged_ReleaseHelperNotGuardedByACallersTakenFlag()
        => V.Source(Header + """
                void Unguarded(ref bool taken) { {|LOCK004:Monitor.Exit(_a)|}; taken = false; }
                void WhenFalse(ref bool taken) { if (!taken) {|LOCK004:Monitor.Exit(_a)|}; }
                void SetsTrue(ref bool taken) { if (taken) {|LOCK004:Monitor.Exit(_a)|}; taken = true; }
                void PassesItOn(ref bool taken) { if (taken) {|LOCK004:Monitor.Exit(_a)|}; Other(ref taken); }
                void ByValue(bool taken) { if (taken) {|LOCK004:Monitor.Exit(_a)|}; }
                void Released(ref bool taken) { if (taken) { Monitor.Exit(_a); taken = false; {|LOCK004:Monitor.Exit(_a)|}; } }
                static void Other(ref bool b) { }
            }
            """);

    [Fact]
    public Task Flagged_ConditionalLocking()
        => V.Source(Header + """
                void M(bool c)
                {
                    if (c) {|LOCK004:Monitor.Enter(_a)|};
                    Console.WriteLine();
                    if (c) {|LOCK004:Monitor.Exit(_a)|};
                }
            }
            """);

    [Fact]
    public Task Flagged_HeldAtExitOnEveryPath_UnlessDeclaredWrapper()
        => V.Source(Header + """
                void Acquire() { {|LOCK004:Monitor.Enter(_a)|}; }
            }
            """);

    [Fact]
    public Task Clean_DeclaredStaticWrapperIsNotAnalysed()
        => V.WithTable(Tables.KernelTypes + """
            namespace K
            {
                static class Wrappers
                {
                    public static void SpinLock(Spin s) { s.Lock(); }
                    public static void SpinUnlock(Spin s) { s.Unlock(); }
                }
                static class Ops
                {
                    static void M(Owner o)
                    {
                        Wrappers.SpinLock(o.ListLock);
                        Wrappers.SpinUnlock(o.ListLock);
                    }
                }
            }
            """, Tables.Kernel.Replace(
                "\"acquire\": \"Lock\", \"release\": \"Unlock\", \"tryAcquire\": \"TryLock\" },\n    { \"type\": \"K.KMutex\"",
                "\"acquire\": [ \"Lock\", \"K.Wrappers.SpinLock\" ], \"release\": [ \"Unlock\", \"K.Wrappers.SpinUnlock\" ], \"tryAcquire\": \"TryLock\" },\n    { \"type\": \"K.KMutex\"",
                System.StringComparison.Ordinal));

    [Fact]
    public Task Clean_BalancedShapes()
        => V.Source(Header + """
                void LockStatement() { lock (_a) { } }
                void TryFinally() { Monitor.Enter(_a); try { } finally { Monitor.Exit(_a); } }
                void LockTaken()
                {
                    bool taken = false;
                    try { Monitor.Enter(_a, ref taken); if (taken) Console.WriteLine(); }
                    finally { if (taken) Monitor.Exit(_a); }
                }
                void TryEnter()
                {
                    if (Monitor.TryEnter(_a, 10))
                    {
                        try { } finally { Monitor.Exit(_a); }
                    }
                }
                void TryEnterNegated()
                {
                    if (!Monitor.TryEnter(_a)) return;
                    Monitor.Exit(_a);
                }
                void TryEnterStored()
                {
                    bool got = Monitor.TryEnter(_a);
                    if (got) Monitor.Exit(_a);
                }
                void ThreadingLock() { lock (_l) { } using (_l.EnterScope()) { } _l.Enter(); _l.Exit(); }
                void UsingDeclaration() { using var scope = _l.EnterScope(); Console.WriteLine(); }
                void Loop(int n) { for (int i = 0; i < n; i++) { lock (_a) { if (i == 1) continue; if (i == 2) break; } } }
                void ReturnInsideTry(bool x)
                {
                    Monitor.Enter(_a);
                    try { if (x) return; Console.WriteLine(); }
                    finally { Monitor.Exit(_a); }
                }
                void Catch()
                {
                    lock (_a)
                    {
                        try { Console.WriteLine(); } catch (InvalidOperationException) { Console.WriteLine(); }
                    }
                }
                void NestedFinally()
                {
                    Monitor.Enter(_a);
                    try
                    {
                        try { return; } finally { Console.WriteLine(); }
                    }
                    finally { Monitor.Exit(_a); }
                }
                void Reentrant() { lock (_a) { lock (_a) { } } }
                void Semaphore() { _sem.Release(); }
                void SemaphoreWait() { _sem.Wait(); }
            }
            """);

    [Fact]
    public Task Flagged_GotoSkipsRelease_AndReentrantCountMismatch()
        => V.Source(Header + """
                void Goto(int n)
                {
                    {|LOCK004:Monitor.Enter(_a)|};
                    if (n > 0) goto done;
                    Monitor.Exit(_a);
                done:
                    Console.WriteLine();
                }
                void Count()
                {
                    {|LOCK004:Monitor.Enter(_a)|};
                    Monitor.Enter(_a);
                    Monitor.Exit(_a);
                }
            }
            """);

    [Fact]
    public Task Flagged_LoopAcquiresWithoutRelease()
        => V.Source(Header + """
                void M(int n)
                {
                    for (int i = 0; i < n; i++)
                    {
                        {|LOCK004:Monitor.Enter(_a)|};
                    }
                }
            }
            """);
}
