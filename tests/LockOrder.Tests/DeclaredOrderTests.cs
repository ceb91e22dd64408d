using System.Threading.Tasks;
using LockOrder.Rules;
using Xunit;
using V = LockOrder.Tests.Verify<LockOrder.Rules.DeclaredOrderAnalyzer>;

namespace LockOrder.Tests;

public class DeclaredOrderTests
{
    private const string Header = """
        using System;
        using System.Threading;
        class C
        {
            public static readonly object A = new object();
            public static readonly object B = new object();
            public static readonly object S = new object();
        """;

    [Fact]
    public Task Flagged_HigherLockTakenUnderLower_WithMessage()
        => V.WithTable(Header + """
                void M()
                {
                    lock (B)
                    {
                        lock (A) { }
                    }
                }
            }
            """, Tables.ABS,
            V.Diagnostic("LOCK001").WithSpan(11, 13, 11, 21).WithSpan(9, 9, 9, 17)
                .WithMessage("'c->a' (row 1) is acquired while 'c->b' (row 2) is held; the table orders c->a first. Release 'c->b' before acquiring c->a, or take c->a first."));

    [Fact]
    public Task Clean_DeclaredOrder()
        => V.WithTable(Header + """
                void M()
                {
                    lock (A) { lock (B) { lock (S) { } } }
                }
            }
            """, Tables.ABS);

    [Fact]
    public Task Clean_LowerReleasedBeforeHigher()
        => V.WithTable(Header + """
                void M()
                {
                    lock (B) { }
                    lock (A) { }
                }
            }
            """, Tables.ABS);

    [Fact]
    public Task Flagged_ManualMonitorInTryFinally()
        => V.WithTable(Header + """
                void M()
                {
                    Monitor.Enter(B);
                    try
                    {
                        {|LOCK001:Monitor.Enter(A)|};
                        Monitor.Exit(A);
                    }
                    finally
                    {
                        Monitor.Exit(B);
                    }
                    lock (A) { }
                }
            }
            """, Tables.ABS);

    [Fact]
    public Task Flagged_LockTakenPattern()
        => V.WithTable(Header + """
                void M()
                {
                    bool taken = false;
                    try
                    {
                        Monitor.Enter(B, ref taken);
                        {|LOCK001:Monitor.Enter(A)|};
                        Monitor.Exit(A);
                    }
                    finally
                    {
                        if (taken) Monitor.Exit(B);
                    }
                    lock (A) { }
                }
            }
            """, Tables.ABS);

    [Fact]
    public Task Clean_EarlyReturnReleasesBeforeHigherLock()
        => V.WithTable(Header + """
                void M(bool x)
                {
                    lock (B)
                    {
                        if (x) return;
                    }
                    lock (A) { }
                }
            }
            """, Tables.ABS);

    [Fact]
    public Task Loops_FlaggedWhenNestedUnderLower_CleanWhenSequential()
        => V.WithTable(Header + """
                void Sequential()
                {
                    for (int i = 0; i < 3; i++)
                    {
                        lock (B) { }
                        lock (A) { }
                    }
                }
                void Nested(int n)
                {
                    lock (B)
                    {
                        while (n-- > 0)
                        {
                            {|LOCK001:lock (A)|} { }
                        }
                    }
                }
            }
            """, Tables.ABS);

    [Fact]
    public Task Edge_ConditionalLockingIsLeftToLock004()
        => V.WithTable(Header + """
                void M(bool c)
                {
                    if (c) Monitor.Enter(B);
                    lock (A) { }
                    if (c) Monitor.Exit(B);
                }
            }
            """, Tables.ABS);

    [Fact]
    public Task Edge_TryLockOutOfOrderCannotDeadlock()
        => V.WithTable(Header + """
                void M()
                {
                    lock (B)
                    {
                        if (Monitor.TryEnter(A))
                        {
                            Monitor.Exit(A);
                        }
                    }
                }
            }
            """, Tables.ABS);

    [Fact]
    public Task Edge_NestedReentrantMonitorReportedOnce()
        => V.WithTable(Header + """
                void M()
                {
                    lock (B)
                    {
                        lock (B)
                        {
                            {|LOCK001:lock (A)|} { }
                        }
                    }
                }
            }
            """, Tables.ABS);

    [Fact]
    public Task Edge_GotoOutOfTheLock()
        => V.WithTable(Header + """
                void M(int n)
                {
                    lock (B)
                    {
                        if (n > 0) goto done;
                        {|LOCK001:lock (A)|} { }
                    }
                done:
                    lock (A) { }
                }
            }
            """, Tables.ABS);

    [Fact]
    public Task Edge_SleepingLockUnderSpinlockIsLock002sNotReportedTwice()
        => V.WithTable(Header + """
                void M()
                {
                    lock (S)
                    {
                        lock (B) { }
                    }
                }
            }
            """, Tables.ABS);

    [Fact]
    public Task Silent_WithoutTable()
        => V.Source(Header + """
                void M()
                {
                    lock (B) { lock (A) { } }
                }
            }
            """);

    [Fact]
    public Task Edge_LambdaBodyIsItsOwnContext()
        => V.WithTable(Header + """
                void M()
                {
                    Action f;
                    lock (B)
                    {
                        f = () => { lock (A) { } };
                    }
                    f();
                }
            }
            """, Tables.ABS);

    [Fact]
    public Task Flagged_CustomPrimitiveAcrossInstances()
        => V.WithTable(Tables.KernelTypes + """
            namespace K
            {
                static class Ops
                {
                    static void M(Owner o, Entry e)
                    {
                        e.EntryLock.Lock();
                        {|LOCK001:o.ListLock.Lock()|};
                        o.ListLock.Unlock();
                        e.EntryLock.Unlock();
                    }

                    static void Right(Owner o, Entry e)
                    {
                        o.ListLock.Lock();
                        e.EntryLock.Lock();
                        e.EntryLock.Unlock();
                        o.ListLock.Unlock();
                    }
                }
            }
            """, Tables.Kernel);
}
