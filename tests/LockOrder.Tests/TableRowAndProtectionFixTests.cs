using System.Threading.Tasks;
using Xunit;
using AddRow = LockOrder.Tests.VerifyFix<LockOrder.Rules.UnlistedLockAnalyzer, LockOrder.CodeFixes.AddTableRowFix>;
using Protect = LockOrder.Tests.VerifyFix<LockOrder.Rules.ProtectedMemberAnalyzer, LockOrder.CodeFixes.TakeProtectingLockFix>;

namespace LockOrder.Tests;

/// <summary>LOCK006 "take the protecting lock" and LOCK005 "add to the table".</summary>
public class TableRowAndProtectionFixTests
{
    private const string ProtectTable = """
        { "locks": [
            { "name": "outer", "kind": "mutex", "symbol": "Outer._gate" },
            { "name": "tcon->tc_lock", "kind": "mutex", "symbol": "Tcon.Gate", "protects": [ "Tcon.Count" ] } ] }
        """;

    [Fact]
    public Task TheAccessIsWrappedInTheLockOfTheSameObject()
        => Protect.Source("""
            class Tcon { public readonly object Gate = new object(); public int Count; }
            class Outer
            {
                private readonly object _gate = new object();
                void Bump(Tcon t)
                {
                    {|LOCK006:t.Count|}++;
                }
                void BumpUnderOuter(Tcon t) { lock (_gate) { {|LOCK006:t.Count|} += 2; } }
            }
            """).Fixed("""
            class Tcon { public readonly object Gate = new object(); public int Count; }
            class Outer
            {
                private readonly object _gate = new object();
                void Bump(Tcon t)
                {
                    lock (t.Gate)
                    {
                        t.Count++;
                    }
                }
                void BumpUnderOuter(Tcon t) { lock (_gate) { lock (t.Gate) { t.Count += 2; } } }
            }
            """).WithTable(ProtectTable);

    [Fact]
    public Task Withheld_WhenALockOrderedAfterItIsHeld()
        => Protect.Source("""
            class Tcon { public readonly object Gate = new object(); public int Count; }
            class Outer
            {
                void Bump(Tcon t, Inner i) { lock (i.Gate) { {|LOCK006:t.Count|}++; } }
            }
            class Inner { public readonly object Gate = new object(); }
            """).WithTable("""
            { "locks": [
                { "name": "tcon->tc_lock", "kind": "mutex", "symbol": "Tcon.Gate", "protects": [ "Tcon.Count" ] },
                { "name": "inner", "kind": "mutex", "symbol": "Inner.Gate" } ] }
            """);

    private const string RowSource = """
        class C
        {
            private readonly object _a = new object(), _b = new object(), _new = new object();
            void M() { lock (_a) { lock ({|LOCK005:_new|}) { lock (_b) { } } } }
        }
        """;

    [Fact]
    public Task ARowIsAddedWhereTheCodesOrderPutsIt()
        => AddRow.Source(RowSource.Replace("lock ({|LOCK005:_new|})", "{|LOCK005:lock (_new)|}", System.StringComparison.Ordinal))
            .Fixed(RowSource.Replace("lock ({|LOCK005:_new|})", "lock (_new)", System.StringComparison.Ordinal))
            .WithTable("""
            {
              "locks": [
                { "name": "a", "kind": "mutex", "symbol": "C._a" },
                { "name": "b", "kind": "mutex", "symbol": "C._b" }
              ]
            }
            """)
            .WithFixedAdditionalFile("/0/lockorder.json", """
            {
              "locks": [
                { "name": "a", "kind": "mutex", "symbol": "C._a" },
                { "name": "C->_new", "kind": "mutex", "symbol": "C._new" },
                { "name": "b", "kind": "mutex", "symbol": "C._b" }
              ]
            }
            """);

    [Fact]
    public Task NoRowForALockOnALocal()
        => AddRow.Source("""
            class C
            {
                private readonly object _a = new object();
                void M() { var o = new object(); lock (_a) { {|LOCK005:lock (o)|} { } } }
            }
            """).WithTable("""{ "locks": [ { "name": "a", "kind": "mutex", "symbol": "C._a" } ] }""");
}
