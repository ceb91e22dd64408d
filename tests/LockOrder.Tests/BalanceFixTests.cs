using System.Threading.Tasks;
using Xunit;
using Fix = LockOrder.Tests.VerifyFix<LockOrder.Rules.UnbalancedLockingAnalyzer, LockOrder.CodeFixes.BalanceFix>;

namespace LockOrder.Tests;

/// <summary>LOCK004 "balance it": a Monitor pair becomes a lock statement; a custom lock is released before each
/// early return.</summary>
public class BalanceFixTests
{
    [Fact]
    public Task AMonitorPairWithAnEarlyReturn_BecomesALockStatement()
        => Fix.Source("""
            using System.Threading;
            class C
            {
                private readonly object _gate = new object();
                private int _n;
                int M(bool early)
                {
                    {|LOCK004:Monitor.Enter(_gate)|};
                    _n++;
                    if (early) return 1;
                    Monitor.Exit(_gate);
                    return 0;
                }
            }
            """).Fixed("""
            using System.Threading;
            class C
            {
                private readonly object _gate = new object();
                private int _n;
                int M(bool early)
                {
                    lock (_gate)
                    {
                        _n++;
                        if (early) return 1;
                    }
                    return 0;
                }
            }
            """);

    [Theory]
    [InlineData("await System.Threading.Tasks.Task.Yield();", "an await cannot be in a lock statement")]
    public Task AMonitorPair_Withheld(string between, string why)
    {
        Assert.NotEmpty(why);
        return Fix.Source("""
            using System.Threading;
            class C
            {
                async System.Threading.Tasks.Task<int> M(bool early, object gate)
                {
                    {|LOCK004:Monitor.Enter(gate)|};
                    if (early) return 1;
                    BETWEEN
                    Monitor.Exit(gate);
                    return 0;
                }
            }
            """.Replace("BETWEEN", between, System.StringComparison.Ordinal));
    }

    [Fact]
    public Task AMonitorPair_Withheld_WhenTheLockExpressionIsAssignedBetween()
        => Fix.Source("""
            using System.Threading;
            class C
            {
                int M(bool early, object gate)
                {
                    {|LOCK004:Monitor.Enter(gate)|};
                    if (early) return 1;
                    gate = new object();
                    {|LOCK004:Monitor.Exit(gate)|};
                    return 0;
                }
            }
            """);

    private const string Spin = """
        sealed class Spin { public void Lock() { } public void Unlock() { } }

        """;

    private const string Table = """
        { "locks": [ { "name": "c->lock", "kind": "spinlock", "symbol": "C.Gate" } ],
          "primitives": [ { "type": "Spin", "kind": "spinlock", "acquire": "Lock", "release": "Unlock" } ] }
        """;

    [Fact]
    public Task ACustomLock_IsReleasedBeforeEachEarlyReturn()
        => Fix.Source(Spin + """
            class C
            {
                public readonly Spin Gate = new Spin();
                private int _n;
                int M(int k)
                {
                    {|LOCK004:Gate.Lock()|};
                    if (k == 0) return -1;
                    if (k == 1)
                    {
                        _n++;
                        return k;
                    }

                    _n--;
                    Gate.Unlock();
                    return 0;
                }
            }
            """).Fixed(Spin + """
            class C
            {
                public readonly Spin Gate = new Spin();
                private int _n;
                int M(int k)
                {
                    Gate.Lock();
                    if (k == 0)
                    {
                        Gate.Unlock();
                        return -1;
                    }
                    if (k == 1)
                    {
                        _n++;
                        Gate.Unlock();
                        return k;
                    }

                    _n--;
                    Gate.Unlock();
                    return 0;
                }
            }
            """).WithTable(Table);

    [Theory]
    [InlineData("if (k == 0) return _n;", "the return reads a field after the release would")]
    [InlineData("for (int i = 0; i < k; i++) { if (i == 3) return -1; }", "a return inside a loop")]
    public Task ACustomLock_Withheld(string between, string why)
    {
        Assert.NotEmpty(why);
        return Fix.Source(Spin + """
            class C
            {
                public readonly Spin Gate = new Spin();
                private int _n;
                int M(int k)
                {
                    {|LOCK004:Gate.Lock()|};
                    BETWEEN
                    Gate.Unlock();
                    return 0;
                }
            }
            """.Replace("BETWEEN", between, System.StringComparison.Ordinal)).WithTable(Table);
    }
}
