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

/// <summary>A method's operation blocks include its parameters' default values and its attributes; the engine
/// must analyse the body, whichever block comes first.</summary>
public class OperationBlockTests
{
    [Fact]
    public Task Flagged_CycleThroughAMethodWithAnOptionalParameter_TwoCallsDown()
        => Verify<Rules.LockCycleAnalyzer>.Source("""
            class C
            {
                private readonly object _ctx = new object(), _io = new object();
                void Write(int n, bool flush = false) { lock (_ctx) { } }
                void End() => Write(1, true);
                void Close() { lock (_io) { {|LOCK008:End()|}; } }
                void Flush() { lock (_ctx) { lock (_io) { } } }
            }
            """);

    [Fact]
    public Task Flagged_InsideAMethodWithAnAttributedParameter()
        => Verify<Rules.SleepInAtomicAnalyzer>.Source("""
            using System.Collections.Generic;
            using System.Runtime.CompilerServices;
            using System.Threading;
            class C
            {
                private SpinLock _spin = new SpinLock(false);
                async IAsyncEnumerable<int> M([EnumeratorCancellation] CancellationToken ct = default)
                {
                    bool taken = false;
                    try { _spin.Enter(ref taken); {|LOCK002:Thread.Sleep(1)|}; }
                    finally { if (taken) _spin.Exit(); }
                    await System.Threading.Tasks.Task.Yield();
                    yield return 1;
                }
            }
            """);
}
