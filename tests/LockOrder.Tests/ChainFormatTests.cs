using System.Linq;
using System.Collections.Immutable;
using LockOrder.Engine.Queries;
using Microsoft.CodeAnalysis;
using Xunit;

namespace LockOrder.Tests;

public class ChainFormatTests
{
    private static Chain Steps(int n) => new(Enumerable.Range(1, n).Select(i => new ChainStep("M" + i, Location.None)).ToImmutableArray());

    [Fact]
    public void ShortChainsAreShownWhole()
        => Assert.Equal("M1 -> M2 -> M3 -> M4 -> M5 -> M6", Steps(6).Text);

    [Fact]
    public void LongChainsKeepBothEndsAndShortenTheMiddle()
        => Assert.Equal("M1 -> M2 -> M3 -> ... -> M11 -> M12", Steps(12).Text);
}

/// <summary>Every related location carries what happens there, as a property the SARIF log keeps (and the package's
/// build step writes on the log's relatedLocations).</summary>
public class RelatedLocationTests
{
    private static string[] Messages(Diagnostic d)
        => Enumerable.Range(0, d.AdditionalLocations.Count).Select(i => d.Properties[LockOrder.Rules.Messages.RelatedProperty + i] ?? "").ToArray();

    [Fact]
    public async System.Threading.Tasks.Task AChainFindingNamesTheHeldLockThenEachStep()
    {
        var compilation = RawAnalysis.Compile("""
            using System.Threading;
            class C
            {
                private SpinLock _spin = new SpinLock(false);
                void M() { bool t = false; _spin.Enter(ref t); try { A(); } finally { if (t) _spin.Exit(); } }
                void A() => B();
                void B() => Thread.Sleep(1);
            }
            """, "Related");
        var d = Assert.Single(await RawAnalysis.Run(compilation, null, new LockOrder.Rules.SleepInAtomicAnalyzer()));
        Assert.Equal(new[] { "'C._spin' is acquired here", "step 1: C.A", "step 2: C.B", "step 3: Thread.Sleep" }, Messages(d));
        // The held lock and the first call are both in M (line 5), each later step at its call in the callee.
        Assert.Equal(new[] { 4, 4, 5, 6 }, d.AdditionalLocations.Select(l => l.GetLineSpan().StartLinePosition.Line).ToArray());
    }

    [Fact]
    public async System.Threading.Tasks.Task ACycleNamesItsOtherEdgesThenWhereTheHeldLockWasTaken()
    {
        var compilation = RawAnalysis.Compile("""
            class C
            {
                private readonly object _a = new object(), _b = new object();
                void One() { lock (_a) { lock (_b) { } } }
                void Two() { lock (_b) { Three(); } }
                void Three() { lock (_a) { } }
            }
            """, "RelatedCycle");
        var d = Assert.Single(await RawAnalysis.Run(compilation, null, new LockOrder.Rules.LockCycleAnalyzer()));
        Assert.Equal(new[] { "'C._a' is acquired while 'C._b' is held (via C.Three -> acquiring 'C._a')", "'C._a' is acquired here" }, Messages(d));
    }
}
