namespace SampleCache.Tests;

using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using SampleCache.Kernel;
using Xunit;
using Xunit.Abstractions;
using SeedCache = SampleCache.Seed;

/// <summary>
/// The seed port's scenarios run with the run-time lock validator on, against the repository's lockorder.json:
/// whatever the run sees must be something LockOrder reports statically on the seed (static covers dynamic).
/// </summary>
public sealed class SeedUnderTheValidatorTests
{
    private static readonly TimeSpan DeadlockBound = TimeSpan.FromSeconds(60);

    private readonly ITestOutputHelper _output;

    public SeedUnderTheValidatorTests(ITestOutputHelper output)
    {
        _output = output;
        Guard.ResetKernelLogs();
    }

    [Fact]
    public void EveryViolationTheSeedShowsAtRunTimeIsOneOfLockOrdersStaticFindings()
    {
        var table = LockOrderTable.Load(Repo.File("lockorder.json"));
        var findings = File.ReadAllLines(Repo.File("sample-cache/SampleCache.Seed/expected-findings.txt"))
            .Where(line => line.Length > 0 && !line.StartsWith('#'))
            .Select(line => new StaticFinding(line, table))
            .ToList();
        Assert.NotEmpty(findings);

        using (LockValidator.Enable(table))
        {
            OpenWalksThePathUnderFidLock();
            Laundromat();
            LeaseBreak();
            Rmdir();
            Reconnect();
            OpenFailurePath();
        }

        var validatorViolations = LockValidator.Violations;
        var observed = validatorViolations.Select(v => new RunTimeReport(v.ToString(), f => Covers(f, v, table)))
            .Concat(Kernel.AtomicSleepViolations.Select(s => new RunTimeReport(s.ToString(), f => Covers(f, s))))
            .ToList();

        var reached = findings.Where(f => observed.Any(o => o.CoveredBy(f))).ToList();
        _output.WriteLine($"{observed.Count} run-time reports ({validatorViolations.Count} from the lock validator); " +
            $"{reached.Count} of {findings.Count} static findings reached:");
        reached.ForEach(f => _output.WriteLine("  " + f.Line));
        _output.WriteLine("static findings the run did not reach:");
        findings.Except(reached).ToList().ForEach(f => _output.WriteLine("  " + f.Line));
        _output.WriteLine(string.Empty);
        foreach (var report in observed)
        {
            _output.WriteLine(report.Text);
        }

        // Static covers dynamic: nothing seen at run time that LockOrder does not report at the same place.
        Assert.Empty(observed.Where(o => !findings.Any(o.CoveredBy)).Select(o => o.Text));

        // And the run was not vacuous: the validator itself found something, which a static finding explains.
        Assert.NotEmpty(validatorViolations);
        Assert.NotEmpty(reached);
        Assert.False(LockValidator.IsEnabled);
    }

    // ----- the scenarios (each on its own mount and thread) -----------------------------------------

    private static void OpenWalksThePathUnderFidLock()
    {
        using var sm = new SeedMount();
        var m = sm.M;
        sm.Cfids.LaundromatWork.CancelSync();
        Guard.RunWithin(DeadlockBound, () =>
        {
            Assert.Equal(0, SeedCache.CachedDir.OpenCachedDir(m.Tcon, "a/b", m.Sb, false, out var cfid));
            SeedCache.CachedDir.CloseCachedDir(cfid!);

            var dentry = Vfs.PathToDentry(m.Sb, "a/b");
            Assert.Equal(0, SeedCache.CachedDir.OpenCachedDirByDentry(m.Tcon, dentry, out var byDentry));
            SeedCache.CachedDir.CloseCachedDir(byDentry!);
            dentry.Put();

            SeedCache.CachedDir.CloseAllCachedDirs(m.Sb);
            SeedCache.CachedDir.FreeCachedDirs(sm.Cfids);
            m.Module.FlushAll();
        }, "seed: open_cached_dir of a/b");
    }

    private static void Laundromat()
    {
        using var sm = new SeedMount(dirCacheTimeout: 30);
        var m = sm.M;
        sm.Cfids.LaundromatWork.CancelSync();
        Guard.RunWithin(DeadlockBound, () =>
        {
            Assert.Equal(0, SeedCache.CachedDir.OpenCachedDir(m.Tcon, string.Empty, m.Sb, false, out var cfid));
            SeedCache.CachedDir.CloseCachedDir(cfid!);
            m.Clock.Advance((30 * JiffiesClock.HZ) + 1);
            SeedCache.CachedDir.RunLaundromat(sm.Cfids);
            m.Module.FlushAll(); // the close work drops the last reference on a worker
            SeedCache.CachedDir.FreeCachedDirs(sm.Cfids);
        }, "seed: laundromat");
    }

    private static void LeaseBreak()
    {
        using var sm = new SeedMount();
        var m = sm.M;
        sm.Cfids.LaundromatWork.CancelSync();
        Guard.RunWithin(DeadlockBound, () =>
        {
            Assert.Equal(0, SeedCache.CachedDir.OpenCachedDir(m.Tcon, "c", m.Sb, false, out var cfid));
            SeedCache.CachedDir.CloseCachedDir(cfid!);

            // Another client opens c: the server's thread runs the lease break under cifs_tcp_ses_lock.
            Assert.Equal(1, m.Server.BreakLease("c"));
            m.Module.FlushAll();
            SeedCache.CachedDir.FreeCachedDirs(sm.Cfids);
        }, "seed: lease break");
    }

    private static void Rmdir()
    {
        using var sm = new SeedMount();
        var m = sm.M;
        sm.Cfids.LaundromatWork.CancelSync();
        Guard.RunWithin(DeadlockBound, () =>
        {
            Assert.Equal(0, SeedCache.CachedDir.OpenCachedDir(m.Tcon, "c", m.Sb, false, out var cfid));
            SeedCache.CachedDir.CloseCachedDir(cfid!);
            SeedCache.CachedDir.DropCachedDirByName(m.Tcon, "c", m.Sb);
            Assert.Equal(0, m.Server.RemoveDirectory("c"));
            m.Module.FlushAll();
            SeedCache.CachedDir.FreeCachedDirs(sm.Cfids);
        }, "seed: rmdir");
    }

    private static void Reconnect()
    {
        using var sm = new SeedMount();
        var m = sm.M;
        sm.Cfids.LaundromatWork.CancelSync();
        Guard.RunWithin(DeadlockBound, () =>
        {
            Assert.Equal(0, SeedCache.CachedDir.OpenCachedDir(m.Tcon, "a", m.Sb, false, out var cfid));
            SeedCache.CachedDir.CloseCachedDir(cfid!);
            Assert.True(m.Server.Disconnect(m.Tcon));
            SeedCache.CachedDir.InvalidateAllCachedDirs(m.Tcon);
            m.Server.Reconnect(m.Tcon);
            m.Module.FlushAll(); // the invalidation worker drops the list's reference
            SeedCache.CachedDir.FreeCachedDirs(sm.Cfids);
        }, "seed: reconnect");
    }

    private static void OpenFailurePath()
    {
        using var sm = new SeedMount();
        var m = sm.M;
        sm.Cfids.LaundromatWork.CancelSync();
        Guard.RunWithin(DeadlockBound, () =>
        {
            // The server grants no lease: the open fails, and its final put runs the release, which takes the
            // cfid_mutex this thread still holds. KMutex reports the self-deadlock by throwing.
            m.Server.RefuseNextLease("c");
            var failure = Record.Exception(() => SeedCache.CachedDir.OpenCachedDir(m.Tcon, "c", m.Sb, false, out _));
            Assert.IsType<InvalidOperationException>(failure);
            SeedCache.CachedDir.FreeCachedDirs(sm.Cfids);
        }, "seed: open failure");
    }

    // ----- run time to static ------------------------------------------------------------------------

    /// <summary>
    /// An order violation is LOCK001's (or LOCK008's) when the line quotes both classes; a cycle is covered
    /// when one of its dependencies is, and a dependency from a spinlock to a sleeping lock is LOCK002's (the
    /// analyzer reports a sleeping lock under a spinlock once, as a sleep). Always at a place of the run's stack.
    /// </summary>
    private static bool Covers(StaticFinding f, LockViolation v, LockOrderTable table) => v.Kind switch
    {
        LockViolationKind.OutOfDeclaredOrder =>
            f.Rule is "LOCK001" or "LOCK008" && f.Quotes(v.AcquiredClass) && f.Quotes(v.HeldClass) && f.IsFrameOf(v.Stack),
        LockViolationKind.ObservedOrderCycle => v.Cycle.Any(d =>
            (f.Rule is "LOCK001" or "LOCK008" || (f.Rule == "LOCK002" && Spins(table, d.From) && !Spins(table, d.To)))
            && f.Quotes(d.From) && f.Quotes(d.To) && f.IsFrameOf(d.Stack)),
        _ => f.Rule == "LOCK003" && f.Quotes(v.AcquiredClass) && f.IsFrameOf(v.Stack),
    };

    private static bool Covers(StaticFinding f, AtomicSleepViolation s) =>
        f.Rule == "LOCK002" && s.HeldLocks.Any(f.Quotes) && (s.AcquiringLock is null || f.Quotes(s.AcquiringLock)) && f.IsFrameOf(s.Stack);

    private static bool Spins(LockOrderTable table, string lockClass) => table.Find(lockClass)?.Kind == "spinlock";

    private sealed record RunTimeReport(string Text, Func<StaticFinding, bool> CoveredBy);

    /// <summary>One line of expected-findings.txt: place, rule, and the table names it quotes.</summary>
    private sealed class StaticFinding
    {
        private readonly HashSet<string> _names;
        private readonly Regex _frame;

        public StaticFinding(string line, LockOrderTable table)
        {
            Line = line;
            int comment = line.IndexOf('#', StringComparison.Ordinal);
            var parts = (comment < 0 ? line : line[..comment]).Trim().Split(' ', 3);
            Rule = parts[1];
            int colon = parts[0].LastIndexOf(':');
            string file = parts[0][..colon];
            int lineNumber = int.Parse(parts[0][(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture);
            string text = parts.Length > 2 ? parts[2] : string.Empty;
            _names = table.Rows
                .Where(r => Regex.IsMatch(text, $@"(?<![\w>.-]){Regex.Escape(r.Name)}(?![\w-])"))
                .Select(r => r.Name)
                .ToHashSet(StringComparer.Ordinal);
            _frame = new Regex($@"SampleCache\.Seed[/\\]{Regex.Escape(file)}:line {lineNumber}\b");
        }

        public string Line { get; }

        public string Rule { get; }

        public bool Quotes(string tableName) => _names.Contains(tableName);

        /// <summary>The finding's place is a frame of <paramref name="stack"/> (files and lines, as the validator records them).</summary>
        public bool IsFrameOf(string stack) => _frame.IsMatch(stack);
    }
}
