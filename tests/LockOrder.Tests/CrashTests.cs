using System.Linq;
using System.Threading.Tasks;
using Xunit;

namespace LockOrder.Tests;

/// <summary>Shapes that crashed the engine on real code bases.</summary>
public class CrashTests
{
    [Fact]
    public async Task LambdaInsideATryWithACatch_DoesNotCrash()
    {
        // NLog's ZeroFileArchiveHandler.DeleteOldArchiveFiles: a lambda in a try that has a catch. The lambda's
        // graph has its own blocks; the enclosing method's handlers are not among them.
        const string source = """
            using System;
            using System.Linq;
            class C
            {
                readonly object _g = new object();
                bool M(string s)
                {
                    try
                    {
                        lock (_g) { return s.Any(c => char.IsDigit(c)); }
                    }
                    catch (Exception)
                    {
                        return false;
                    }
                }
            }
            """;
        var compilation = RawAnalysis.Compile(source, "LambdaInTry");
        var diagnostics = await RawAnalysis.Run(compilation, null, new Rules.SleepInAtomicAnalyzer(), new Rules.UnbalancedLockingAnalyzer(), new Rules.LockCycleAnalyzer());
        Assert.Empty(diagnostics.Where(d => d.Id == "AD0001").Select(d => d.GetMessage()));
    }
}
