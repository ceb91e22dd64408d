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
