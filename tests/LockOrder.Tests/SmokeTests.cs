using System.Linq;
using System.Threading.Tasks;
using LockOrder.Rules;
using Xunit;

namespace LockOrder.Tests;

public class SmokeTests
{
    [Fact]
    public Task SpinLockThenSleep()
        => Verify<SleepInAtomicAnalyzer>.Source("""
            using System.Threading;
            class C
            {
                private SpinLock _spin = new SpinLock(false);
                void M()
                {
                    bool taken = false;
                    try
                    {
                        _spin.Enter(ref taken);
                        {|LOCK002:Thread.Sleep(1)|};
                    }
                    finally
                    {
                        if (taken) _spin.Exit();
                    }
                    Thread.Sleep(1);
                }
            }
            """);
}

public class RobustnessTests
{
    [Fact]
    public async Task VeryDeepExpressions_DoNotCrashTheAnalyzer()
    {
        // A generated-code shape: one expression tens of thousands of operators deep, under a lock.
        var terms = string.Join(" + ", System.Linq.Enumerable.Range(0, 20000).Select(i => "x"));
        var source = "class C { readonly object _g = new object(); int M(int x) { lock (_g) { return " + terms + "; } } }";
        var compilation = RawAnalysis.Compile(source, "Deep");
        var diagnostics = await RawAnalysis.Run(compilation, null, new Rules.SleepInAtomicAnalyzer(), new Rules.UnbalancedLockingAnalyzer());
        Assert.DoesNotContain(diagnostics, d => d.Id == "AD0001");
    }

    [Fact]
    public async Task ABodyTooDeepToWalk_IsSaid_NotSkippedSilently()
    {
        var terms = string.Join(" + ", System.Linq.Enumerable.Range(0, 20000).Select(i => "x"));
        var source = "class C { readonly object _g = new object(); int M(int x) { lock (_g) { return " + terms + "; } } int Small(int x) { lock (_g) { return x; } } }";
        var compilation = RawAnalysis.Compile(source, "DeepSaid");
        compilation = compilation.WithOptions(compilation.Options.WithSpecificDiagnosticOptions(
            compilation.Options.SpecificDiagnosticOptions.SetItem(RuleIds.NotAnalysed, Microsoft.CodeAnalysis.ReportDiagnostic.Warn)));
        var diagnostics = await RawAnalysis.Run(compilation, null, new Rules.NotAnalysedAnalyzer());
        var said = Assert.Single(diagnostics, d => d.Id == RuleIds.NotAnalysed);
        Assert.Equal("'C.M' was not analysed: its expressions nest deeper than the analysis can walk; findings in it, and through calls to it, may be missing", said.GetMessage());
        Assert.Equal("M", said.Location.SourceTree!.GetText().ToString(said.Location.SourceSpan));
    }
}
