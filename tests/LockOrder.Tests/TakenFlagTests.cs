using System.Threading.Tasks;
using Xunit;
using Balance = LockOrder.Tests.Verify<LockOrder.Rules.UnbalancedLockingAnalyzer>;
using Sleep = LockOrder.Tests.Verify<LockOrder.Rules.SleepInAtomicAnalyzer>;

namespace LockOrder.Tests;

/// <summary>The relational domain that ties a lock to the boolean saying it was taken, through conditions, merges
/// and finally regions (the shapes of NLog's AsyncTaskTarget, AsyncTargetWrapper and BufferingTargetWrapper).</summary>
public class TakenFlagTests
{
    private const string Header = """
        using System.Threading;
        class C
        {
            private readonly object _o = new object();
            private readonly Lock _l = new Lock();
            private SpinLock _spin = new SpinLock(false);
            private object? _previous;
            void Work() { }
        """;

    [Fact]
    public Task Clean_EnterOnOneBranchTryEnterOnTheOther_ReleasedIfTaken()
        => Balance.Source(Header + """
                void M()
                {
                    bool lockTaken = false;
                    try
                    {
                        if (_previous is null)
                            Monitor.Enter(_o, ref lockTaken);
                        else
                            Monitor.TryEnter(_o, 50, ref lockTaken);
                        Work();
                    }
                    finally
                    {
                        if (lockTaken)
                            Monitor.Exit(_o);
                    }
                }
            }
            """);

    [Fact]
    public Task Clean_TryEnterResultStoredThenTested_InTryAndFinally()
        => Balance.Source(Header + """
                void M()
                {
                    bool lockTaken = false;
                    try
                    {
                        lockTaken = Monitor.TryEnter(_o);
                        if (lockTaken)
                        {
                            Work();
                        }
                    }
                    finally
                    {
                        if (lockTaken)
                            Monitor.Exit(_o);
                    }
                }
            }
            """);

    [Fact]
    public Task Clean_EarlyReturnWhenNotTaken_SpinLockAndLockTryEnter()
        => Balance.Source(Header + """
                void M()
                {
                    bool taken = false;
                    Monitor.TryEnter(_o, 10, ref taken);
                    if (!taken) return;
                    try { Work(); } finally { Monitor.Exit(_o); }
                }
                void Spin()
                {
                    bool taken = false;
                    try { _spin.TryEnter(ref taken); if (taken) Work(); }
                    finally { if (taken) _spin.Exit(); }
                }
                void Modern()
                {
                    if (!_l.TryEnter()) return;
                    try { Work(); } finally { _l.Exit(); }
                }
                void InALoop()
                {
                    for (int i = 0; i < 3; i++)
                    {
                        bool taken = false;
                        try { Monitor.TryEnter(_o, 5, ref taken); if (!taken) continue; Work(); }
                        finally { if (taken) Monitor.Exit(_o); }
                    }
                }
            }
            """);

    [Fact]
    public Task Flagged_ReleasedWithoutCheckingTheFlag()
        => Balance.Source(Header + """
                void M()
                {
                    bool lockTaken = false;
                    try
                    {
                        Monitor.TryEnter(_o, 50, ref lockTaken);
                        Work();
                    }
                    finally
                    {
                        {|LOCK004:Monitor.Exit(_o)|};
                    }
                }
            }
            """);

    [Fact]
    public Task Flagged_SleepOnlyWhereTheFlagSaysTheSpinlockIsHeld()
        => Sleep.WithTable(Header + """
                void M()
                {
                    bool taken = false;
                    try
                    {
                        if (_previous is null) _spin.Enter(ref taken); else _spin.TryEnter(ref taken);
                        if (taken) {|LOCK002:Thread.Sleep(1)|};
                    }
                    finally
                    {
                        if (taken) _spin.Exit();
                        Thread.Sleep(1);
                    }
                }
            }
            """, """{ "locks": [ { "name": "spin", "kind": "spinlock", "symbol": "C._spin" } ] }""");
}
