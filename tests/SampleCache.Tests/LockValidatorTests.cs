namespace SampleCache.Tests;

using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using SampleCache.Kernel;
using Xunit;
using Ref = SampleCache.Reference;
using SeedCache = SampleCache.Seed;

/// <summary>The run-time lock validator on small tables of its own, and its binding to lockorder.json.</summary>
public sealed class LockValidatorTests
{
    // Classes only these tests use; the order is the table's.
    private const string Table = """
        {
          // comments are allowed, as for the analyzer
          "locks": [
            { "name": "vt_outer", "kind": "mutex" },
            { "name": "vt_a", "kind": "spinlock" },
            { "name": "vt_b", "kind": "spinlock" },
            { "name": "vt_node", "kind": "spinlock" },
            { "name": "vt_nest", "kind": "spinlock", "nestable": true },
          ]
        }
        """;

    public LockValidatorTests() => Guard.ResetKernelLogs();

    private static IDisposable EnableTestTable() => LockValidator.Enable(LockOrderTable.Parse(Table));

    [Fact]
    public void ATableIsReadInOrderWithItsNestableFlag()
    {
        var table = LockOrderTable.Parse(Table);
        Assert.Equal(new[] { "vt_outer", "vt_a", "vt_b", "vt_node", "vt_nest" }, table.Rows.Select(r => r.Name));
        Assert.Equal(new[] { 1, 2, 3, 4, 5 }, table.Rows.Select(r => r.Row));
        Assert.Equal(new[] { false, false, false, false, true }, table.Rows.Select(r => r.Nestable));
        Assert.Null(table.Find("vt_missing"));

        var repo = LockOrderTable.Load(Repo.File("lockorder.json"));
        Assert.Equal(27, repo.Rows.Count);
        Assert.Equal(25, repo.Find("cached_fid->fid_lock")!.Row);
        Assert.Equal(10, repo.Find("cifs_tcp_ses_lock")!.Row);
    }

    [Fact]
    public void OutOfOrderThenTheOtherOrderIsAnOrderViolationThenACycle()
    {
        var a = new Spinlock(LockClass.Of("vt_a"));
        var b = new Spinlock(LockClass.Of("vt_b"));
        using (EnableTestTable())
        {
            b.Lock();
            a.Lock(); // row 2 while row 3 is held
            a.Unlock();
            b.Unlock();

            var violation = Assert.Single(LockValidator.Violations);
            Assert.Equal(LockViolationKind.OutOfDeclaredOrder, violation.Kind);
            Assert.Equal(("vt_a", 2, "vt_b", 3), (violation.AcquiredClass, violation.AcquiredRow, violation.HeldClass, violation.HeldRow));
            Assert.Contains("LockValidatorTests.cs:", violation.AcquiredAt, StringComparison.Ordinal);
            Assert.Contains(nameof(OutOfOrderThenTheOtherOrderIsAnOrderViolationThenACycle), violation.HeldAt, StringComparison.Ordinal);
            Assert.Contains(nameof(OutOfOrderThenTheOtherOrderIsAnOrderViolationThenACycle), violation.Stack, StringComparison.Ordinal);
            Assert.Equal(new[] { "vt_b" }, violation.Held.Select(h => h.ClassName));
            Assert.Empty(violation.Chain);
            Assert.Contains("held locks", violation.ToString(), StringComparison.Ordinal);

            // The same dependency again is known: reported once.
            b.Lock();
            a.Lock();
            a.Unlock();
            b.Unlock();
            Assert.Single(LockValidator.Violations);

            // The declared order is legal, but the run has seen the other one: a cycle, with the chain that set it up.
            a.Lock();
            b.Lock();
            b.Unlock();
            a.Unlock();
            Assert.Equal(2, LockValidator.Violations.Count);
            var cycle = LockValidator.Violations[1];
            Assert.Equal(LockViolationKind.ObservedOrderCycle, cycle.Kind);
            Assert.Equal(("vt_b", "vt_a"), (cycle.AcquiredClass, cycle.HeldClass));
            var link = Assert.Single(cycle.Chain);
            Assert.Equal(("vt_b", "vt_a"), (link.From, link.To));
            Assert.Equal(violation.AcquiredAt, link.AcquiredAt);
            Assert.Equal(new[] { ("vt_a", "vt_b"), ("vt_b", "vt_a") }, cycle.Cycle.Select(d => (d.From, d.To)));
            Assert.Contains("circular locking dependency", cycle.ToString(), StringComparison.Ordinal);
            Assert.Equal(2, LockValidator.Dependencies.Count);
        }

        // A new session starts from an empty graph.
        using (EnableTestTable())
        {
            a.Lock();
            b.Lock();
            b.Unlock();
            a.Unlock();
            Assert.Empty(LockValidator.Violations);
            Assert.Single(LockValidator.Dependencies);
        }

        Guard.AssertKernelLogsClean();
    }

    [Fact]
    public void RecursiveAcquisitionIsReportedWithWhereTheLockWasTakenAndStillThrows()
    {
        var m = new KMutex(LockClass.Of("vt_outer"));
        var s = new Spinlock(LockClass.Of("vt_a"));
        using (EnableTestTable())
        {
            m.Lock();
            Assert.Throws<InvalidOperationException>(() => m.Lock());
            m.Unlock();
            s.Lock();
            Assert.Throws<InvalidOperationException>(() => s.Lock());
            s.Unlock();

            Assert.Equal(
                new[] { (LockViolationKind.RecursiveAcquisition, "vt_outer"), (LockViolationKind.RecursiveAcquisition, "vt_a") },
                LockValidator.Violations.Select(v => (v.Kind, v.AcquiredClass)));
            Assert.All(LockValidator.Violations, v => Assert.Contains(
                nameof(RecursiveAcquisitionIsReportedWithWhereTheLockWasTakenAndStillThrows), v.HeldAt, StringComparison.Ordinal));
        }

        // The primitives' own reports are unchanged.
        Assert.Equal(2, Kernel.Oopses.Count);
        Kernel.ClearOopses();
    }

    [Fact]
    public void TwoInstancesOfOneClassAreRecursiveLockingUnlessTheRowIsNestable()
    {
        var parent = new Spinlock(LockClass.Of("vt_node"));
        var child = new Spinlock(LockClass.Of("vt_node"));
        var nestParent = new Spinlock(LockClass.Of("vt_nest"));
        var nestChild = new Spinlock(LockClass.Of("vt_nest"));
        using (EnableTestTable())
        {
            for (int i = 0; i < 2; i++)
            {
                parent.Lock();
                child.Lock();
                child.Unlock();
                parent.Unlock();
            }

            nestParent.Lock();
            nestChild.Lock();
            nestChild.Unlock();
            nestParent.Unlock();

            var violation = Assert.Single(LockValidator.Violations);
            Assert.Equal((LockViolationKind.NestedSameClass, "vt_node", "vt_node"), (violation.Kind, violation.AcquiredClass, violation.HeldClass));
        }

        Guard.AssertKernelLogsClean();
    }

    [Fact]
    public void ATryLockAddsNoDependencyButCountsAsHeld()
    {
        var a = new Spinlock(LockClass.Of("vt_a"));
        var b = new Spinlock(LockClass.Of("vt_b"));
        using (EnableTestTable())
        {
            b.Lock();
            Assert.True(a.TryLock()); // cannot wait, so cannot deadlock
            a.Unlock();
            b.Unlock();
            Assert.Empty(LockValidator.Violations);
            Assert.Empty(LockValidator.Dependencies);

            Assert.True(b.TryLock());
            a.Lock(); // waits while b is held
            a.Unlock();
            b.Unlock();
            var violation = Assert.Single(LockValidator.Violations);
            Assert.Equal(("vt_a", "vt_b"), (violation.AcquiredClass, violation.HeldClass));
            Assert.True(Assert.Single(violation.Held).ByTryLock);
        }

        Guard.AssertKernelLogsClean();
    }

    [Fact]
    public void ASleepingLockUnderASpinlockIsMightSleepsReportWithWhereTheSpinlockWasTaken()
    {
        var spin = new Spinlock(LockClass.Of("vt_a"));
        var mutex = new KMutex(LockClass.Of("vt_outer"));
        using (EnableTestTable())
        {
            spin.Lock();
            mutex.Lock(); // row 1 under row 2, but a mutex under a spinlock: sleeping in atomic context
            mutex.Unlock();
            spin.Unlock();

            Assert.Empty(LockValidator.Violations);
            Assert.Single(LockValidator.Dependencies); // still a dependency, for cycles
        }

        var sleep = Assert.Single(Kernel.AtomicSleepViolations);
        Assert.Equal(("Lock", "vt_outer"), (sleep.Caller, sleep.AcquiringLock));
        var held = Assert.Single(sleep.HeldLockSites);
        Assert.Equal("vt_a", held.ClassName);
        Assert.Contains(nameof(ASleepingLockUnderASpinlockIsMightSleepsReportWithWhereTheSpinlockWasTaken), held.TakenAt, StringComparison.Ordinal);
        Assert.Contains("LockValidatorTests.cs:line", sleep.Stack, StringComparison.Ordinal); // files and lines when on
        Kernel.ClearAtomicSleepViolations();
    }

    [Fact]
    public void OffOrOutsideTheTableNothingIsChecked()
    {
        var a = new Spinlock(LockClass.Of("vt_a"));
        var b = new Spinlock(LockClass.Of("vt_b"));
        var x = new Spinlock(LockClass.Of("vt_not_in_the_table"));
        var plain = new Spinlock("vt_plain");
        using (EnableTestTable())
        {
            x.Lock();
            a.Lock();
            plain.Lock();
            plain.Unlock();
            a.Unlock();
            x.Unlock();
            Assert.Empty(LockValidator.Dependencies);
        }

        Assert.False(LockValidator.IsEnabled);
        b.Lock();
        a.Lock();
        a.Unlock();
        b.Unlock();
        Assert.Empty(LockValidator.Violations);
        Assert.Empty(LockValidator.Dependencies);

        spinUnderOff();
        Assert.Empty(Assert.Single(Kernel.AtomicSleepViolations).HeldLockSites);
        Kernel.ClearAtomicSleepViolations();

        void spinUnderOff()
        {
            a.Lock();
            Kernel.MightSleep();
            a.Unlock();
        }
    }

    /// <summary>
    /// Every lock field the table names in a 'symbol' declares that row's class when it is initialised, with a
    /// primitive of the row's kind: the validator and the analyzer see the same locks as the same rows.
    /// </summary>
    [Fact]
    public void EveryLockTheTableBindsDeclaresItsRowsClass()
    {
        var table = LockOrderTable.Load(Repo.File("lockorder.json"));
        using var rm = new RefMount();
        using var sm = new SeedMount();
        sm.Cfids.LaundromatWork.CancelSync();
        var refEntry = rm.OpenOk("a");
        Assert.Equal(0, SeedCache.CachedDir.OpenCachedDir(sm.M.Tcon, string.Empty, sm.M.Sb, false, out var seedEntry));

        var instances = new object[]
        {
            rm.M.Sb, rm.M.TcpServer, rm.M.Ses, rm.M.Tcon, rm.Cfids, refEntry, sm.Cfids, seedEntry!,
        }.ToDictionary(o => o.GetType().FullName!);
        var assemblies = new[] { typeof(Spinlock).Assembly, typeof(Ref.CachedDir).Assembly, typeof(SeedCache.CachedDir).Assembly };

        var problems = new List<string>();
        int checkedFields = 0;
        foreach (var row in table.Rows)
        {
            foreach (var symbol in row.Symbols)
            {
                int dot = symbol.LastIndexOf('.');
                string typeName = symbol[..dot];
                var type = assemblies.Select(asm => asm.GetType(typeName)).FirstOrDefault(t => t is not null);
                var field = type?.GetField(symbol[(dot + 1)..], BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static);
                if (field is null)
                {
                    problems.Add($"{symbol}: no such field");
                    continue;
                }

                object? owner = field.IsStatic ? null : instances.GetValueOrDefault(typeName);
                if (!field.IsStatic && owner is null)
                {
                    problems.Add($"{symbol}: no instance of {typeName} in the test");
                    continue;
                }

                (LockClass? lockClass, string kind) = field.GetValue(owner) switch
                {
                    Spinlock s => (s.Class, "spinlock"),
                    KMutex m => (m.Class, "mutex"),
                    var other => (null, other?.GetType().Name ?? "null"),
                };
                if (lockClass?.Name != row.Name || kind != row.Kind)
                {
                    problems.Add($"{symbol}: class '{lockClass?.Name}', {kind}; row {row.Row} is '{row.Name}', {row.Kind}");
                }

                checkedFields++;
            }
        }

        Assert.Empty(problems);
        Assert.Equal(20, checkedFields); // rows 3 to 18 one each, rows 24 and 25 one per cache

        Ref.CachedDir.CloseCachedDir(refEntry);
        rm.Unmount();
        SeedCache.CachedDir.CloseCachedDir(seedEntry!);
        SeedCache.CachedDir.FreeCachedDirs(sm.Cfids);
        sm.M.Module.FlushAll();
    }
}
