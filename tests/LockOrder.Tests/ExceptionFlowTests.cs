using System.Threading.Tasks;
using Xunit;
using Balance = LockOrder.Tests.Verify<LockOrder.Rules.UnbalancedLockingAnalyzer>;
using Order = LockOrder.Tests.Verify<LockOrder.Rules.DeclaredOrderAnalyzer>;

namespace LockOrder.Tests;

/// <summary>Catch handlers see the lock state that the finally regions between the throw and the handler leave
/// (the shape of Npgsql's NpgsqlConnector.Open and NLog's AsyncTaskTarget timeout handling).</summary>
public class ExceptionFlowTests
{
    private const string Header = """
        using System;
        using System.Threading;
        class C
        {
            public static readonly object A = new object();
            public static readonly object B = new object();
            private readonly object _o = new object();
            private readonly SemaphoreSlim _sem = new SemaphoreSlim(1, 1);
            void Work() { }
        """;

    [Fact]
    public Task Clean_LockStatementInsideATryWithCatch()
        => Balance.Source(Header + """
                void M()
                {
                    try
                    {
                        lock (_o) { Work(); }
                        Work();
                    }
                    catch (Exception)
                    {
                        Work();
                    }
                    Work();
                }
                void Nested()
                {
                    try
                    {
                        try { lock (_o) { lock (A) { Work(); } } }
                        finally { Work(); }
                    }
                    catch (InvalidOperationException) when (DateTime.Now.Ticks > 0) { }
                    catch { }
                }
                void WithFinallyRelease()
                {
                    try
                    {
                        _sem.Wait();
                        try { Work(); } finally { _sem.Release(); }
                    }
                    catch (OperationCanceledException) { }
                }
            }
            """);

    [Fact]
    public Task Flagged_ALockLeakedWhenTheProtectedRegionThrows()
        => Balance.Source(Header + """
                void M()
                {
                    try
                    {
                        {|LOCK004:Monitor.Enter(_o)|};
                        Work();
                        Monitor.Exit(_o);
                    }
                    catch (Exception)
                    {
                    }
                }
            }
            """);

    [Fact]
    public Task Handler_TakingALockIsCheckedWithWhatIsStillHeld()
        => Order.WithTable(Header + """
                void M()
                {
                    lock (B)
                    {
                        try { lock (_o) { Work(); } }
                        catch (Exception) { {|LOCK001:lock (A)|} { } }
                    }
                    try { lock (B) { Work(); } }
                    catch (Exception) { lock (A) { } }
                }
            }
            """, """
            { "locks": [ { "name": "a", "kind": "mutex", "symbol": "C.A" }, { "name": "b", "kind": "mutex", "symbol": "C.B" } ] }
            """);
}
