using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Testing;
using Xunit;
using LockOrder.Rules;

namespace LockOrder.Tests;

public class WaitUnderSleepingLockTests
{
    private const string Source = """
        using System.Threading;
        using System.Threading.Tasks;
        class C
        {
            private readonly object _gate = new object();
            private SpinLock _spin = new SpinLock(false);
            void M(Task<int> t)
            {
                lock (_gate)
                {
                    {|#0:t.Wait()|};
                    {|#1:Helper()|};
                    Monitor.Enter(_gate);
                    Monitor.Exit(_gate);
                }
                t.Wait();
                bool taken = false;
                _spin.Enter(ref taken);
                t.Wait();
                _spin.Exit();
                if (Monitor.TryEnter(_gate))
                {
                    {|#2:Thread.Sleep(1)|};
                    Monitor.Exit(_gate);
                }
                else
                {
                    Thread.Sleep(1);
                }
            }
            void Helper() => Thread.Sleep(1);
        }
        """;

    [Fact]
    public async Task OffByDefault()
    {
        var compilation = RawAnalysis.Compile(Source.Replace("{|#0:", "", System.StringComparison.Ordinal).Replace("{|#1:", "", System.StringComparison.Ordinal)
            .Replace("{|#2:", "", System.StringComparison.Ordinal).Replace("|}", "", System.StringComparison.Ordinal), "Lock009Off");
        Assert.Empty(compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
        Assert.Empty(await RawAnalysis.Run(compilation, null, new WaitUnderSleepingLockAnalyzer()));
    }

    [Fact]
    public async Task Flagged_WhenEnabled_CleanOutsideAndUnderSpinlock()
    {
        await Verify<WaitUnderSleepingLockAnalyzer>.Source(Source,
                new DiagnosticResult("LOCK009", DiagnosticSeverity.Warning).WithLocation(0).WithLocation(9, 9)
                    .WithMessage("'Task.Wait' blocks while 'C._gate' is held; if what it waits for needs 'C._gate', this deadlocks. Release 'C._gate' first, or await instead of blocking."),
                new DiagnosticResult("LOCK009", DiagnosticSeverity.Warning).WithLocation(1).WithOptions(DiagnosticOptions.IgnoreAdditionalLocations)
                    .WithMessage("'C.Helper' blocks while 'C._gate' is held (via C.Helper -> Thread.Sleep); if what it waits for needs 'C._gate', this deadlocks. Release 'C._gate' first, or await instead of blocking."),
                new DiagnosticResult("LOCK009", DiagnosticSeverity.Warning).WithLocation(2).WithOptions(DiagnosticOptions.IgnoreAdditionalLocations)
                    .WithArguments("'Thread.Sleep'", "'C._gate'", ""))
            .WithEditorConfig("dotnet_diagnostic.LOCK009.severity = warning");
    }
}
