using System.Threading.Tasks;
using Xunit;
using Fix = LockOrder.Tests.VerifyFix<LockOrder.Rules.AwaitUnderLockAnalyzer, LockOrder.CodeFixes.AsyncLockFix>;

namespace LockOrder.Tests;

/// <summary>LOCK007 "use an async lock": a SemaphoreSlim taken with Wait() across an await is taken with WaitAsync.</summary>
public class AsyncLockFixTests
{
    [Fact]
    public Task ASemaphoreTakenWithWait_IsAwaitedInstead()
        => Fix.Source("""
            using System.Threading;
            using System.Threading.Tasks;
            class C
            {
                private readonly SemaphoreSlim _gate = new SemaphoreSlim(1, 1);
                async Task M(CancellationToken ct)
                {
                    _gate.Wait(ct);
                    try { {|LOCK007:await Task.Yield()|}; }
                    finally { _gate.Release(); }
                }
            }
            """).Fixed("""
            using System.Threading;
            using System.Threading.Tasks;
            class C
            {
                private readonly SemaphoreSlim _gate = new SemaphoreSlim(1, 1);
                async Task M(CancellationToken ct)
                {
                    await _gate.WaitAsync(ct);
                    try { await Task.Yield(); }
                    finally { _gate.Release(); }
                }
            }
            """);

    [Fact]
    public Task AMonitorHeldAcrossTheAwait_NoFix()
        => Fix.Source("""
            using System.Threading;
            using System.Threading.Tasks;
            class C
            {
                private readonly object _o = new object();
                async Task M()
                {
                    Monitor.Enter(_o);
                    try { {|LOCK007:await Task.Yield()|}; }
                    finally { Monitor.Exit(_o); }
                }
            }
            """);

    [Fact]
    public Task ASemaphoreAndAMonitorHeld_NoFix()
        => Fix.Source("""
            using System.Threading;
            using System.Threading.Tasks;
            class C
            {
                private readonly SemaphoreSlim _gate = new SemaphoreSlim(1, 1);
                private readonly object _o = new object();
                async Task M()
                {
                    _gate.Wait();
                    Monitor.Enter(_o);
                    try { {|LOCK007:await Task.Yield()|}; }
                    finally { Monitor.Exit(_o); _gate.Release(); }
                }
            }
            """);
}
