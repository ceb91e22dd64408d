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
}
