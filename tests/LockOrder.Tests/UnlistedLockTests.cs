using System.Threading.Tasks;
using Xunit;
using V = LockOrder.Tests.Verify<LockOrder.Rules.UnlistedLockAnalyzer>;

namespace LockOrder.Tests;

public class UnlistedLockTests
{
    private const string Source = """
        class C
        {
            public static readonly object A = new object();
            private readonly object _other = new object();
            void M()
            {
                lock (A) { }
                lock (_other) { }
                lock (this) { }
            }
        }
        """;

    [Fact]
    public Task Flagged_WhenTableHasNoRow_WithMessage()
        => V.WithTable(Source, Tables.ABS,
            V.Diagnostic("LOCK005").WithSpan(8, 9, 8, 22).WithSeverity(Microsoft.CodeAnalysis.DiagnosticSeverity.Info)
                .WithMessage("'C._other' is acquired here but no row of lockorder.json binds it; add a row in its place in the order, with its symbol"),
            V.Diagnostic("LOCK005").WithSpan(9, 9, 9, 20).WithSeverity(Microsoft.CodeAnalysis.DiagnosticSeverity.Info).WithArguments("'C'"));

    [Fact]
    public Task Clean_TypeRowBindsLockThis()
        => V.WithTable(Source, """
            { "locks": [ { "name": "c", "kind": "mutex", "symbol": [ "C", "C.A", "C._other" ] } ] }
            """);

    [Fact]
    public Task Silent_WithoutTable() => V.Source(Source);

    [Fact]
    public Task Silent_WithUnreadableTable() => V.WithTable(Source, "{ not json");
}
