using System.Threading.Tasks;
using LockOrder.CodeFixes;
using Xunit;
using Fix = LockOrder.Tests.VerifyFix<LockOrder.Rules.DeclaredOrderAnalyzer, LockOrder.CodeFixes.TableOrderFix>;

namespace LockOrder.Tests;

/// <summary>LOCK001 "take them in table order": swap two directly nested acquisitions, or move the row in the table.</summary>
public class TableOrderFixTests
{
    private const string Table = """
        {
          "locks": [
            { "name": "a", "kind": "mutex", "symbol": "C._a" },
            { "name": "m", "kind": "mutex", "symbol": "C._m" },
            { "name": "b", "kind": "mutex", "symbol": "C._b" }
          ]
        }
        """;

    [Fact]
    public Task NestedLockStatements_AreSwapped()
        => Fix.Source("""
            class C
            {
                private readonly object _a = new object(), _b = new object(), _m = new object();
                private int _n;
                void M() { lock (_b) { {|LOCK001:lock (_a)|} { _n++; } } }
            }
            """).Fixed("""
            class C
            {
                private readonly object _a = new object(), _b = new object(), _m = new object();
                private int _n;
                void M() { lock (_a) { lock (_b) { _n++; } } }
            }
            """).WithTable(Table).WithAction(TableOrderFix.SwapKey);

    private const string Spin = """
        sealed class Spin { public void Lock() { } public void Unlock() { } }

        """;

    private const string SpinTable = """
        { "locks": [ { "name": "a", "kind": "spinlock", "symbol": "C._a" }, { "name": "b", "kind": "spinlock", "symbol": "C._b" } ],
          "primitives": [ { "type": "Spin", "kind": "spinlock", "acquire": "Lock", "release": "Unlock" } ] }
        """;

    [Fact]
    public Task AdjacentLockAndUnlockPairs_AreSwapped()
        => Fix.Source(Spin + """
            class C
            {
                private readonly Spin _a = new Spin(), _b = new Spin();
                private int _n;
                void M()
                {
                    _b.Lock();
                    {|LOCK001:_a.Lock()|};
                    _n++;
                    _a.Unlock();
                    _b.Unlock();
                }
            }
            """).Fixed(Spin + """
            class C
            {
                private readonly Spin _a = new Spin(), _b = new Spin();
                private int _n;
                void M()
                {
                    _a.Lock();
                    _b.Lock();
                    _n++;
                    _b.Unlock();
                    _a.Unlock();
                }
            }
            """).WithTable(SpinTable).WithAction(TableOrderFix.SwapKey);

    private const string Between = """
        class C
        {
            private readonly object _a = new object(), _b = new object(), _m = new object();
            private int _n;
            void M() { lock (_b) { _n++; {|LOCK001:lock (_a)|} { } } }
        }
        """;

    [Fact]
    public Task WithCodeBetween_TheSwapIsWithheld_TheRowMovesInTheTable()
        => Fix.Source(Between).Fixed(Between.Replace("{|LOCK001:lock (_a)|}", "lock (_a)", System.StringComparison.Ordinal))
            .WithTable(Table)
            .WithFixedAdditionalFile("/0/lockorder.json", """
            {
              "locks": [
                { "name": "b", "kind": "mutex", "symbol": "C._b" },
                { "name": "a", "kind": "mutex", "symbol": "C._a" },
                { "name": "m", "kind": "mutex", "symbol": "C._m" }
              ]
            }
            """).WithAction(TableOrderFix.MoveRowKey).WithoutFixAll();

    [Fact]
    public Task TheRowMoveIsWithheld_WhenAnotherEdgeGoesTheOtherWay()
        => Fix.Source("""
            class C
            {
                private readonly object _a = new object(), _b = new object(), _m = new object();
                private int _n;
                void M() { lock (_b) { _n++; {|LOCK001:lock (_a)|} { } } }
                void N() { lock (_m) { lock (_b) { } } }
            }
            """).WithTable(Table);
}
