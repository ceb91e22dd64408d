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
