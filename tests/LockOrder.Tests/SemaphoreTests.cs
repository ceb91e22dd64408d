using System.Threading.Tasks;
using Xunit;
using Balance = LockOrder.Tests.Verify<LockOrder.Rules.UnbalancedLockingAnalyzer>;
using Sleep = LockOrder.Tests.Verify<LockOrder.Rules.SleepInAtomicAnalyzer>;

namespace LockOrder.Tests;

/// <summary>A semaphore is a lock when it has one permit (or when one body waits on it and releases it); with any
/// other count it is a signal or a limit on concurrency, and waiting on it holds nothing (Quartz's scheduler
/// thread drains a pause signal with <c>while (pauseSignal.Wait(0)) { }</c>).</summary>
public class SemaphoreTests
{
    private const string Header = """
        using System.Threading;
        using System.Threading.Tasks;
        class C
        {
            private readonly SemaphoreSlim _pauseSignal = new(0);
            private readonly SemaphoreSlim _limit = new SemaphoreSlim(4);
            private readonly SemaphoreSlim _binary = new SemaphoreSlim(1, 1);
            private readonly SemaphoreSlim _mutex = new SemaphoreSlim(1);
            private SemaphoreSlim _pool = null!;
            private SpinLock _spin = new SpinLock(false);
            void Initialize(int max) { _pool = new SemaphoreSlim(max); }
        """;

    [Fact]
    public Task Clean_SignalsAndLimitsAreNotHeld()
        => Balance.Source(Header + """
                void Drain() { while (_pauseSignal.Wait(0)) { } }
                void Pause() { _pauseSignal.Release(); }
                async Task<bool> Run() { await _limit.WaitAsync(); return true; }
                void Done() { _limit.Release(); }
                async Task Wrapped() { await _mutex.WaitAsync(); try { } finally { _mutex.Release(); } }
                async Task Limited(bool done) { await _pool.WaitAsync(); if (done) _pool.Release(); }
            }
            """);

    [Fact]
    public Task Flagged_ALockSemaphoreLeakedOnAnEarlyReturn()
        => Balance.Source(Header + """
                async Task One(bool early)
                {
                    await {|LOCK004:_binary.WaitAsync()|};
                    if (early) return;
                    _binary.Release();
                }
                async Task Two(bool early)
                {
                    await {|LOCK004:_mutex.WaitAsync()|};
                    if (early) return;
                    _mutex.Release();
                }
            }
            """);

    [Fact]
    public Task Flagged_WaitingOnASignalUnderASpinlock_IsABlockingCall()
        => Sleep.Source(Header + """
                void M()
                {
                    bool taken = false;
                    try
                    {
                        _spin.Enter(ref taken);
                        {|LOCK002:_limit.Wait()|};
                        _pauseSignal.Wait(0);
                    }
                    finally { if (taken) _spin.Exit(); }
                }
            }
            """);
}

/// <summary>A method that returns true exactly where it holds the lock it took is a try-acquire wrapper (Quartz's
/// SQLiteSemaphore.ObtainLockCore), not a leak; one that returns holding the lock whatever it returns is.</summary>
public class TryAcquireWrapperTests
{
    [Fact]
    public Task Clean_ReturnsTrueExactlyWhenHolding()
        => Verify<LockOrder.Rules.UnbalancedLockingAnalyzer>.Source("""
            using System;
            using System.Threading;
            using System.Threading.Tasks;
            class C
            {
                private readonly SemaphoreSlim _global = new SemaphoreSlim(1, 1);
                private readonly object _o = new object();
                async ValueTask<bool> Obtain(CancellationToken ct)
                {
                    try { await _global.WaitAsync(ct); }
                    catch (OperationCanceledException) { return false; }
                    return true;
                }
                bool TryTake(int ms)
                {
                    if (!Monitor.TryEnter(_o, ms)) return false;
                    return true;
                }
            }
            """);

    [Fact]
    public Task Flagged_ReturnsHoldingTheLockOnAFalsePath()
        => Verify<LockOrder.Rules.UnbalancedLockingAnalyzer>.Source("""
            using System.Threading;
            class C
            {
                private readonly object _o = new object();
                bool Take(bool b)
                {
                    {|LOCK004:Monitor.Enter(_o)|};
                    if (b) return false;
                    Monitor.Exit(_o);
                    return true;
                }
            }
            """);
}
