using System.Threading.Tasks;
using Xunit;
using Cycle = LockOrder.Tests.Verify<LockOrder.Rules.LockCycleAnalyzer>;

namespace LockOrder.Tests;

/// <summary>Cycles the engine has to follow calls, data and callbacks to see.</summary>
public class RecallTests
{
    [Fact]
    public Task Flagged_LocksOnParametersAreTheirTypesClass()
        => Cycle.Source("""
            sealed class Account { }
            sealed class Ledger { }
            static class Bank
            {
                public static void Post(Account a, Ledger l) { lock (a) { {|LOCK008:lock (l)|} { } } }
                public static void Audit(Account a, Ledger l) { lock (l) { lock (a) { } } }
            }
            """);

    [Fact]
    public Task Clean_LocksOnParametersInOneOrder()
        => Cycle.Source("""
            sealed class Account { }
            sealed class Ledger { }
            static class Bank
            {
                public static void Post(Account a, Ledger l) { lock (a) { lock (l) { } } }
                public static void Audit(Account a, Ledger l) { lock (a) { lock (l) { } } }
            }
            """);

    [Fact]
    public Task Flagged_AnotherTypesStaticLock()
        => Cycle.Source("""
            static class Registry { public static readonly object Gate = new object(); }
            sealed class Cache
            {
                private readonly object _gate = new object();
                public void Fill() { lock (Registry.Gate) { {|LOCK008:lock (_gate)|} { } } }
                public void Evict() { lock (_gate) { lock (Registry.Gate) { } } }
            }
            """);

    [Fact]
    public Task Flagged_ThroughAUserDefinedOperator()
        => Cycle.Source("""
            static class Rates { public static readonly object Gate = new object(); }
            readonly struct Money
            {
                public static Money operator +(Money a, Money b) { lock (Rates.Gate) { return a; } }
            }
            sealed class Till
            {
                private readonly object _gate = new object();
                public Money Add(Money a, Money b) { lock (_gate) { return {|LOCK008:a + b|}; } }
                public void Reprice() { lock (Rates.Gate) { lock (_gate) { } } }
            }
            """);

    [Fact]
    public Task Flagged_RaisingAnEventRunsItsSubscribers()
        => Cycle.Source("""
            using System;
            sealed class Source
            {
                private readonly object _gate = new object();
                public event Action? Changed;
                public void Raise() { lock (_gate) { Changed?{|LOCK008:.Invoke()|}; } }
                public void Touch() { lock (_gate) { } }
            }
            sealed class Listener
            {
                private readonly object _gate = new object();
                public Listener(Source s) { s.Changed += OnChanged; }
                private void OnChanged() { lock (_gate) { } }
                public void Refresh(Source s) { lock (_gate) { s.Touch(); } }
            }
            """);

    [Fact]
    public Task Flagged_AcrossClassesThroughFieldsPropertiesAndInterfaces_ThreeDeep()
        => Cycle.Source("""
            interface IStore { void Save(); }
            sealed class Store : IStore
            {
                private readonly object _gate = new object();
                public Index Index { get; } = new Index();
                public void Save() { Write(); }
                private void Write() { lock (_gate) { {|LOCK008:Index.Update()|}; } }
                public void Compact() { lock (_gate) { } }
            }
            sealed class Index
            {
                private readonly object _gate = new object();
                private IStore _store = null!;
                public void Update() { lock (_gate) { } }
                public void Rebuild() { lock (_gate) { Flush(); } }
                private void Flush() => Persist();
                private void Persist() => _store.Save();
            }
            """);

    [Theory]
    [InlineData("ct.Register(() => { lock (_b) { } })", "")]
    [InlineData("_done.SetResult(1)", "_done.Task.ContinueWith(_ => { lock (_b) { } });")]
    [InlineData("_done.TrySetResult(1)", "Awaiting();")]
    [InlineData("_stop.Cancel()", "_stop.Token.Register(() => { lock (_b) { } });")]
    public Task Flagged_CallbacksRunInlineByRegisterCompletionAndCancellation(string call, string registration)
        => Cycle.Source("""
            using System.Threading;
            using System.Threading.Tasks;
            sealed class Worker
            {
                private readonly object _a = new object(), _b = new object();
                private readonly TaskCompletionSource<int> _done = new TaskCompletionSource<int>();
                private readonly CancellationTokenSource _stop = new CancellationTokenSource();
                public Worker() { REGISTRATION }
                private async void Awaiting() { await _done.Task; lock (_b) { } }
                public void Run(CancellationToken ct) { lock (_a) { {|LOCK008:CALL|}; } }
                public void Other() { lock (_b) { lock (_a) { } } }
            }
            """.Replace("REGISTRATION", registration, System.StringComparison.Ordinal).Replace("CALL", call, System.StringComparison.Ordinal));

    [Fact]
    public Task Clean_ContinuationsThatRunAsynchronously()
        => Cycle.Source("""
            using System.Threading.Tasks;
            sealed class Worker
            {
                private readonly object _a = new object(), _b = new object();
                private readonly TaskCompletionSource<int> _done = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
                public Worker() { _done.Task.ContinueWith(_ => { lock (_b) { } }); }
                public void Complete() { lock (_a) { _done.SetResult(1); } }
                public void Other() { lock (_b) { lock (_a) { } } }
            }
            """);

    [Fact]
    public Task Flagged_AContinuationReadFromADictionary_ResolvedByType()
        => Cycle.Source("""
            using System;
            using System.Collections.Generic;
            sealed class Dispatcher
            {
                private readonly object _a = new object(), _b = new object();
                private readonly Dictionary<string, Action<int>> _handlers = new Dictionary<string, Action<int>>();
                public Dispatcher() { _handlers["x"] = n => { lock (_b) { } }; }
                public void Fire(string key) { lock (_a) { if (_handlers.TryGetValue(key, out var handler)) {|#0:handler(1)|}; } }
                public void Other() { lock (_b) { lock (_a) { } } }
            }
            """,
            Cycle.Diagnostic("LOCK008").WithLocation(0).WithOptions(Microsoft.CodeAnalysis.Testing.DiagnosticOptions.IgnoreAdditionalLocations)
                .WithMessage("Lock-order cycle 'Dispatcher._a' -> 'Dispatcher._b' -> 'Dispatcher._a': here 'Dispatcher._b' is acquired while 'Dispatcher._a' is held (via Action<int> (resolved by type) -> lambda at line 7 -> acquiring 'Dispatcher._b'); at Test0.cs(9) 'Dispatcher._a' is acquired while 'Dispatcher._b' is held. Unsafe interleaving: thread 1 holds 'Dispatcher._a' and waits for 'Dispatcher._b'; thread 2 holds 'Dispatcher._b' and waits for 'Dispatcher._a'. Take these locks in one order everywhere (and declare it in lockorder.json)."));

    [Fact]
    public Task Clean_ADelegateTypeTooCommonToResolve()
        => Cycle.Source("""
            using System;
            using System.Collections.Generic;
            sealed class Dispatcher
            {
                private readonly object _a = new object(), _b = new object();
                private readonly Dictionary<string, Action<int>> _handlers = new Dictionary<string, Action<int>>();
                public Dispatcher()
                {
                    _handlers["x"] = n => { lock (_b) { } };
                    Action<int>[] more = { n => { }, n => { }, n => { }, n => { }, n => { }, n => { }, n => { }, n => { } };
                }
                public void Fire(string key) { lock (_a) { if (_handlers.TryGetValue(key, out var handler)) handler(1); } }
                public void Other() { lock (_b) { lock (_a) { } } }
            }
            """);
}

/// <summary>A helper that holds its own lock while it runs the caller's delegate: what the delegate does happens
/// under that lock, reported at the call that passes it.</summary>
public class CallbackUnderCalleeLockTests
{
    private const string Pool = """
        using System;
        using System.Threading;
        sealed class Pool
        {
            private SpinLock _spin = new SpinLock(false);
            private readonly object _gate = new object();
            public void Update(Action change)
            {
                bool taken = false;
                _spin.Enter(ref taken);
                try { change(); }
                finally { if (taken) _spin.Exit(); }
            }
            public void Locked(Action change) { lock (_gate) { Run(change); } }
            private static void Run(Action change) => change();
            public void Touch() { lock (_gate) { } }
        }
        """;

    [Fact]
    public Task Flagged_ASleepingLambdaOrMethodGroup_RunUnderTheHelpersSpinlock()
        => Verify<LockOrder.Rules.SleepInAtomicAnalyzer>.Source(Pool + """
            sealed class User
            {
                void Lambda(Pool p) { {|#0:p.Update(() => Thread.Sleep(1))|}; }
                void Group(Pool p) { {|LOCK002:p.Update(Sleepy)|}; }
                static void Sleepy() => Thread.Sleep(1);
                void Quiet(Pool p) { p.Update(() => { }); }
            }
            """,
            Verify<LockOrder.Rules.SleepInAtomicAnalyzer>.Diagnostic("LOCK002").WithLocation(0).WithOptions(Microsoft.CodeAnalysis.Testing.DiagnosticOptions.IgnoreAdditionalLocations)
                .WithMessage("'lambda at line 19' may sleep, but spinlock 'Pool._spin' is held (via Pool.Update -> lambda at line 19 -> Thread.Sleep); move the call after 'Pool._spin' is released"));

    [Fact]
    public Task Flagged_ACycleThroughALockTheHelperHoldsWhileRunningTheDelegate_PassedOn()
        => Verify<LockOrder.Rules.LockCycleAnalyzer>.Source(Pool + """
            sealed class User
            {
                private readonly object _mine = new object();
                void Change(Pool p) { {|LOCK008:p.Locked(() => { lock (_mine) { } })|}; }
                void Other(Pool p) { lock (_mine) { p.Touch(); } }
            }
            """);
}
