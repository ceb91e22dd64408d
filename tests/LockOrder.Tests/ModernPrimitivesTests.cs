using System.Threading.Tasks;
using LockOrder.Rules;
using Xunit;

namespace LockOrder.Tests;

/// <summary>System.Threading.Lock: the lock statement on it is seen by every rule exactly as EnterScope is, with and
/// without nullable annotations (with them, Roslyn leaves the statement unlowered in the flow graph).</summary>
public class ThreadingLockTests
{
    private const string Table = """
        {
          "locks": [
            { "name": "c->outer", "kind": "mutex", "symbol": "C._outer" },
            { "name": "c->inner", "kind": "mutex", "symbol": "C._inner" },
            { "name": "c->spin", "kind": "spinlock", "symbol": "C._spin" }
          ]
        }
        """;

    [Theory]
    [InlineData("")]
    [InlineData("#nullable enable\n")]
    public Task LockStatementOnLock_SleepUnderASpinlockRow_IsLock002(string nullable)
        => Verify<SleepInAtomicAnalyzer>.WithTable(nullable + """
            using System.Threading;
            class C
            {
                private readonly Lock _spin = new Lock();
                void M() { lock (_spin) { {|LOCK002:Thread.Sleep(1)|}; } }
                void Scoped() { using (_spin.EnterScope()) { {|LOCK002:Thread.Sleep(1)|}; } }
                void After() { lock (_spin) { } Thread.Sleep(1); }
            }
            """, Table);

    [Theory]
    [InlineData("")]
    [InlineData("#nullable enable\n")]
    public Task LockStatementOnLock_WrongNesting_IsLock001(string nullable)
        => Verify<DeclaredOrderAnalyzer>.WithTable(nullable + """
            class C
            {
                private readonly System.Threading.Lock _outer = new System.Threading.Lock();
                private readonly System.Threading.Lock _inner = new System.Threading.Lock();
                void Wrong() { lock (_inner) { {|LOCK001:lock (_outer)|} { } } }
                void Right() { lock (_outer) { lock (_inner) { } } }
            }
            """, Table);

    [Theory]
    [InlineData("")]
    [InlineData("#nullable enable\n")]
    public Task LockStatementOnLock_Cycle_IsLock008(string nullable)
        => Verify<LockCycleAnalyzer>.Source(nullable + """
            using System.Threading;
            class C
            {
                private readonly Lock _a = new Lock(), _b = new Lock();
                void One() { lock (_a) { {|LOCK008:lock (_b)|} { } } }
                void Two() { using (_b.EnterScope()) { lock (_a) { } } }
            }
            """);

    [Theory]
    [InlineData("")]
    [InlineData("#nullable enable\n")]
    public Task LockStatementOnLock_IsBalanced_Reentrant_AndReleasedOnEveryWayOut(string nullable)
        => Verify<UnbalancedLockingAnalyzer>.Source(nullable + """
            using System;
            using System.Threading;
            class C
            {
                private readonly Lock _l = new Lock();
                int M(bool early) { lock (_l) { if (early) return 1; lock (_l) { } } return 0; }
                void Loop(int n) { for (int i = 0; i < n; i++) { lock (_l) { if (i == 2) break; if (i == 1) continue; } } }
                void Throws(bool b) { try { lock (_l) { if (b) throw new InvalidOperationException(); } } catch (InvalidOperationException) { } }
                void Branch(bool b) { if (b) { lock (_l) { Console.WriteLine(); } } Console.WriteLine(); }
            }
            """);

    [Theory]
    [InlineData("")]
    [InlineData("#nullable enable\n")]
    public Task LockStatementOnLock_ReleasedBeforeWhatFollows(string nullable)
        => Verify<SleepInAtomicAnalyzer>.WithTable(nullable + """
            using System.Threading;
            class C
            {
                private readonly Lock _spin = new Lock();
                void M(bool b)
                {
                    if (b) { lock (_spin) { {|LOCK002:Thread.Sleep(1)|}; } }
                    Thread.Sleep(1);
                    while (b) { lock (_spin) { if (b) break; } Thread.Sleep(1); }
                }
            }
            """, Table);
}
