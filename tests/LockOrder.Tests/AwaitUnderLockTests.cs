using System.Threading.Tasks;
using Xunit;
using V = LockOrder.Tests.Verify<LockOrder.Rules.AwaitUnderLockAnalyzer>;

namespace LockOrder.Tests;

public class AwaitUnderLockTests
{
    private const string Header = """
        using System.Threading;
        using System.Threading.Tasks;
        class C
        {
            private readonly object _a = new object();
            private readonly SemaphoreSlim _sem = new SemaphoreSlim(1);
            private SpinLock _spin = new SpinLock(false);
        """;

    [Fact]
    public Task Flagged_MonitorHeldAcrossAwait_WithMessage()
        => V.Source(Header + """
                async Task M()
                {
                    Monitor.Enter(_a);
                    try { await Task.Yield(); }
                    finally { Monitor.Exit(_a); }
                }
            }
            """,
            V.Diagnostic("LOCK007").WithSpan(10, 15, 10, 33).WithSpan(9, 9, 9, 26)
                .WithMessage("'await' while 'C._a' is held; the continuation may run on another thread or never release it. Release the lock before awaiting, or use SemaphoreSlim.WaitAsync as an async lock."));

    [Fact]
    public Task Clean_SemaphoreTakenAsync()
        => V.Source(Header + """
                async Task M()
                {
                    await _sem.WaitAsync();
                    try { await Task.Yield(); }
                    finally { _sem.Release(); }
                }
            }
            """);

    [Fact]
    public Task Flagged_SemaphoreTakenSynchronously_AndSpinLock()
        => V.Source(Header + """
                async Task M()
                {
                    _sem.Wait();
                    try { {|LOCK007:await Task.Yield()|}; }
                    finally { _sem.Release(); }
                    bool taken = false;
                    _spin.Enter(ref taken);
                    {|LOCK007:await Task.Delay(1)|};
                    _spin.Exit();
                }
            }
            """);

    [Fact]
    public Task Clean_AwaitAfterReleaseAndOnNotTakenBranch()
        => V.Source(Header + """
                async Task M(bool c)
                {
                    Monitor.Enter(_a);
                    Monitor.Exit(_a);
                    await Task.Yield();
                    if (Monitor.TryEnter(_a))
                    {
                        Monitor.Exit(_a);
                    }
                    else
                    {
                        await Task.Yield();
                    }
                    for (int i = 0; i < 2; i++) { await Task.Yield(); }
                }
            }
            """);
}

/// <summary>An await in a lock statement's body does not compile (CS1996): the compiler reports it, LOCK007 does not
/// repeat it; an await under a lock taken any other way is still LOCK007.</summary>
public class AwaitInLockStatementTests
{
    [Fact]
    public Task CompilerError_IsNotRepeated_ButMonitorInTheSameMethodIs()
        => Verify<LockOrder.Rules.AwaitUnderLockAnalyzer>.Source("""
            using System.Threading;
            using System.Threading.Tasks;
            class C
            {
                private readonly object _a = new object(), _b = new object();
                async Task M()
                {
                    lock (_a) { {|CS1996:await Task.Yield()|}; }
                    Monitor.Enter(_b);
                    try { lock (_a) { {|CS1996:{|LOCK007:await Task.Yield()|}|}; } }
                    finally { Monitor.Exit(_b); }
                }
            }
            """);
}
