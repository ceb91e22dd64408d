using System.Threading.Tasks;
using Xunit;
using V = LockOrder.Tests.Verify<LockOrder.Rules.ProtectedMemberAnalyzer>;

namespace LockOrder.Tests;

public class ProtectedMemberTests
{
    private const string Table = """
        {
          "locks": [ { "name": "tcon->tc_lock", "kind": "spinlock", "symbol": "Tcon.TcLock",
                       "protects": [ "Tcon.TcCount" ], "init": "Tcon.Reset" } ],
          "invokes": [ "Ref.Put" ]
        }
        """;

    private const string Types = """
        using System;
        using System.Collections.Generic;
        using System.Threading;
        public sealed class Ref { public void Put(Action<Tcon> release) { } }
        public sealed class Tcon
        {
            public readonly object TcLock = new object();
            public int TcCount;
            public readonly Ref Refs = new Ref();
            public Tcon() { TcCount = 1; }
            public void Reset() { TcCount = 1; }
        """;

    [Fact]
    public Task Flagged_WriteAndRead_WithMessage_CleanUnderTheLock()
        => V.WithTable(Types + """
                public void Get() { lock (TcLock) { TcCount++; } }
                public int Peek() => TcCount;
            }
            """, Table,
            V.Diagnostic("LOCK006").WithSpan(12, 26, 12, 33)
                .WithMessage("'Tcon.TcCount' is read without 'tcon->tc_lock' (row 1), which the table says protects it; take 'tcon->tc_lock' (row 1) around the access"));

    [Fact]
    public Task Exempt_ConstructorInitAndReleaseCallback()
        => V.WithTable(Types + """
                static void Release(Tcon t) { t.TcCount = 0; }
                public void Drop() { Refs.Put(Release); }
            }
            """, Table);

    [Fact]
    public Task Exempt_WhenEveryCallerHoldsTheLock_FlaggedNamingTheCallerThatDoesNot()
        => V.WithTable(Types + """
                private void Bump() { TcCount++; }
                public void A() { lock (TcLock) { Bump(); } }
                public void B() { lock (TcLock) { Bump(); } }
                private void Drop() { {|LOCK006:TcCount|}--; }
                public void C() { lock (TcLock) { Drop(); } }
                public void D() { Drop(); }
            }
            """, Table);

    [Fact]
    public Task LambdaRunUnderTheLock_IsCovered_DeferredLambdaIsNot()
        => V.WithTable(Types + """
                public void Each(List<int> items) { lock (TcLock) { items.ForEach(i => TcCount += i); } }
                public void Later() { lock (TcLock) { ThreadPool.QueueUserWorkItem(_ => {|LOCK006:TcCount|}++); } }
            }
            """, Table);

    [Fact]
    public Task Shapes_TryFinally_LockTaken_EarlyReturn_Loop()
        => V.WithTable(Types + """
                public void TryFinally()
                {
                    Monitor.Enter(TcLock);
                    try { TcCount++; } finally { Monitor.Exit(TcLock); }
                    {|LOCK006:TcCount|}++;
                }
                public void LockTaken()
                {
                    bool taken = false;
                    try { Monitor.Enter(TcLock, ref taken); TcCount++; }
                    finally { if (taken) Monitor.Exit(TcLock); }
                }
                public int EarlyReturn(bool x)
                {
                    lock (TcLock) { if (x) return TcCount; }
                    return {|LOCK006:TcCount|};
                }
                public void Loop(int n)
                {
                    for (int i = 0; i < n; i++) { lock (TcLock) { TcCount++; } }
                }
                public void Conditional(bool c)
                {
                    if (c) Monitor.Enter(TcLock);
                    {|LOCK006:TcCount|}++;
                    if (c) Monitor.Exit(TcLock);
                }
            }
            """, Table);
}
