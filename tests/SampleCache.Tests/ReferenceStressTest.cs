namespace SampleCache.Tests;

using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using SampleCache.Kernel;
using Xunit;
using Xunit.Abstractions;
using Ref = SampleCache.Reference;

/// <summary>
/// Many threads hammer the reference cache with every operation it has while the server breaks
/// leases, changes directories, removes and recreates them, drops the connection and the clock
/// drives the laundromat. Afterwards every handle, reference and dentry must be accounted for,
/// and no sleeping call may have happened under a spinlock.
/// </summary>
public sealed class ReferenceStressTest
{
    private const int Threads = 8;
    private const int OpsPerThread = 12_500; // 100,000 in total
    private const int Seed = 20250502;
    private static readonly TimeSpan DeadlockBound = TimeSpan.FromSeconds(120);

    private static readonly string[] TopDirs = Enumerable.Range(0, 10).Select(i => $"d{i}").ToArray();
    private static readonly string[] SubDirs =
        new[] { "d0", "d1", "d2" }.SelectMany(p => Enumerable.Range(0, 3).Select(i => $"{p}/s{i}")).ToArray();

    // Directories without subdirectories, which the workers remove and create again.
    private static readonly string[] Removable = SubDirs.Concat(TopDirs.Skip(3)).ToArray();

    // 1 root + 10 + 9 = 20 directories: more than the 16 the cache keeps.
    private static readonly string[] AllDirs = new[] { string.Empty }.Concat(TopDirs).Concat(SubDirs).ToArray();

    private readonly ITestOutputHelper _output;

    public ReferenceStressTest(ITestOutputHelper output)
    {
        _output = output;
        Guard.ResetKernelLogs();
    }

    private sealed class Counters
    {
        public long Lookups;
        public long Hits;
        public long ByDentry;
        public long ByDentryHits;
        public long Rmdirs;
        public long Mkdirs;
        public long Breaks;
        public long Changes;
        public long Reconnects;
        public long ClockTicks;
        public long Closes;
    }

    [Fact]
    public void StressMixedOperationsOnTheReferenceCache() => Run();

    /// <summary>
    /// The same run with the run-time lock validator on, against the repository's lockorder.json: the
    /// reference takes its locks only in the table's order, so no violation at all.
    /// </summary>
    [Fact]
    public void StressMixedOperationsOnTheReferenceCacheUnderTheLockValidator()
    {
        using (LockValidator.Enable(Repo.File("lockorder.json")))
        {
            Run();
        }

        var dependencies = LockValidator.Dependencies;
        _output.WriteLine($"lock validator: {dependencies.Count} dependencies observed: " +
            string.Join(", ", dependencies.Select(d => $"{d.From} -> {d.To}").Order(StringComparer.Ordinal)));
        Assert.Empty(LockValidator.Violations.Select(v => v.ToString()));
        Assert.Contains(dependencies, d => d.From == "cached_fids->cfid_list_lock" && d.To == "cached_fid->fid_lock");
    }

    private void Run()
    {
        using var rm = new RefMount(dirCacheTimeout: 10, dirs: TopDirs.Concat(SubDirs));
        var server = rm.Server;
        var clock = rm.M.Clock;
        server.SetRandomFaults(Seed, openError: 0.01, leaseRefused: 0.01, replayable: 0.005);

        var failures = new ConcurrentQueue<string>();
        var counters = new Counters();
        var reconnectGate = new object();
        int finished = 0;

        void Fail(string what)
        {
            if (failures.Count < 50)
            {
                failures.Enqueue(what);
            }
        }

        // Checks one entry the cache handed out: alive, for the right directory, and holding
        // exactly a version of it that the server had current while the call ran.
        void Check(Ref.CachedFid cfid, string path, long before, long after, string op)
        {
            if (cfid.Freed)
            {
                Fail($"{op}: got a freed entry for '{path}'");
                return;
            }

            if (cfid.Path != path)
            {
                Fail($"{op}: asked for '{path}', got '{cfid.Path}'");
            }

            if (cfid.Refcount.Count < 1)
            {
                Fail($"{op}: '{path}' handed out with refcount {cfid.Refcount.Count}");
            }

            var info = Ref.CachedDir.GetCachedInfo(cfid);
            if (info is null)
            {
                Fail($"{op}: '{path}' has no cached info");
                return;
            }

            if (info.Path != path)
            {
                Fail($"{op}: '{path}' caches data of '{info.Path}'");
            }

            if (!server.WasCurrentDuring(info, before, after, out string why))
            {
                Fail($"{op}: stale or foreign data: {why}; lease: {server.DescribeLease(cfid.Fid.LeaseKey)}");
            }

            if (!Ref.CachedDir.GetCachedDirents(cfid).SequenceEqual(info.Entries))
            {
                Fail($"{op}: '{path}' listing differs from its file info");
            }
        }

        void Worker(int index)
        {
            var rng = new Random(Seed + index);
            var held = new List<Ref.CachedFid>();
            for (int op = 0; op < OpsPerThread; op++)
            {
                int dice = rng.Next(100);
                if (dice < 40)
                {
                    // Lookup (open_cached_dir), sometimes keeping the entry for a while.
                    string path = AllDirs[rng.Next(AllDirs.Length)];
                    long before = server.Seq;
                    int rc = Ref.CachedDir.OpenCachedDir(rm.Tcon, path, rm.Sb, false, out var cfid);
                    long after = server.Seq;
                    Interlocked.Increment(ref counters.Lookups);
                    if (rc == 0)
                    {
                        Interlocked.Increment(ref counters.Hits);
                        Check(cfid!, path, before, after, "open");
                        if (held.Count < 3 && rng.Next(3) == 0)
                        {
                            held.Add(cfid!);
                        }
                        else
                        {
                            Ref.CachedDir.CloseCachedDir(cfid!);
                        }
                    }
                    else if (cfid is not null)
                    {
                        Fail($"open '{path}' returned {rc} and an entry");
                    }
                }
                else if (dice < 45)
                {
                    // Lookup only.
                    string path = AllDirs[rng.Next(AllDirs.Length)];
                    long before = server.Seq;
                    int rc = Ref.CachedDir.OpenCachedDir(rm.Tcon, path, rm.Sb, true, out var cfid);
                    long after = server.Seq;
                    if (rc == 0)
                    {
                        Check(cfid!, path, before, after, "lookup-only");
                        Ref.CachedDir.CloseCachedDir(cfid!);
                    }
                }
                else if (dice < 57)
                {
                    // Open by dentry.
                    string path = AllDirs[rng.Next(AllDirs.Length)];
                    Dentry dentry;
                    try
                    {
                        dentry = Vfs.PathToDentry(rm.Sb, path);
                    }
                    catch (KernelException)
                    {
                        continue; // removed just now
                    }

                    long before = server.Seq;
                    int rc = Ref.CachedDir.OpenCachedDirByDentry(rm.Tcon, dentry, out var cfid);
                    long after = server.Seq;
                    Interlocked.Increment(ref counters.ByDentry);
                    if (rc == 0)
                    {
                        Interlocked.Increment(ref counters.ByDentryHits);
                        Check(cfid!, path, before, after, "by-dentry");
                        Ref.CachedDir.CloseCachedDir(cfid!);
                    }

                    dentry.Put();
                }
                else if (dice < 63)
                {
                    // Close something held.
                    if (held.Count > 0)
                    {
                        int i = rng.Next(held.Count);
                        var cfid = held[i];
                        held.RemoveAt(i);
                        if (cfid.Freed)
                        {
                            Fail($"held entry '{cfid.Path}' was freed under us");
                        }

                        Ref.CachedDir.CloseCachedDir(cfid);
                        Interlocked.Increment(ref counters.Closes);
                    }
                }
                else if (dice < 68)
                {
                    // rmdir: the client drops its cached handle, then the server removes it.
                    string path = Removable[rng.Next(Removable.Length)];
                    Ref.CachedDir.DropCachedDirByName(rm.Tcon, path, rm.Sb);
                    if (server.RemoveDirectory(path) == 0)
                    {
                        Interlocked.Increment(ref counters.Rmdirs);
                    }
                }
                else if (dice < 73)
                {
                    // mkdir (of a removed directory).
                    string path = Removable[rng.Next(Removable.Length)];
                    if (server.CreateDirectory(path, TestMount.DefaultFiles(path)) == 0)
                    {
                        Interlocked.Increment(ref counters.Mkdirs);
                    }
                }
                else if (dice < 82)
                {
                    // Another client opens the directory: the server breaks our lease.
                    server.BreakLease(AllDirs[rng.Next(AllDirs.Length)]);
                    Interlocked.Increment(ref counters.Breaks);
                }
                else if (dice < 90)
                {
                    // Another client changes the directory.
                    string dir = AllDirs[rng.Next(AllDirs.Length)];
                    string file = $"f{rng.Next(4)}";
                    int rc = rng.Next(2) == 0 ? server.AddFile(dir, file) : server.RemoveFile(dir, file);
                    if (rc == 0)
                    {
                        Interlocked.Increment(ref counters.Changes);
                    }
                }
                else if (dice < 91)
                {
                    // The connection drops and comes back (reconnect).
                    if (rng.Next(2) == 0)
                    {
                        lock (reconnectGate)
                        {
                            server.Disconnect(rm.Tcon);
                            Ref.CachedDir.InvalidateAllCachedDirs(rm.Tcon);
                            server.Reconnect(rm.Tcon);
                        }

                        Interlocked.Increment(ref counters.Reconnects);
                    }
                }
                else if (dice < 96)
                {
                    // Time passes; the laundromat runs whenever its timer comes due.
                    clock.Advance(rng.Next(1, 4) * JiffiesClock.HZ);
                    Interlocked.Increment(ref counters.ClockTicks);
                }
                else
                {
                    // Keep the clock and the root busy too.
                    long before = server.Seq;
                    if (Ref.CachedDir.OpenCachedDir(rm.Tcon, string.Empty, rm.Sb, false, out var root) == 0)
                    {
                        Check(root!, string.Empty, before, server.Seq, "open root");
                        Ref.CachedDir.CloseCachedDir(root!);
                    }
                }
            }

            foreach (var cfid in held)
            {
                Ref.CachedDir.CloseCachedDir(cfid);
            }

            Interlocked.Increment(ref finished);
        }

        var errors = new ConcurrentQueue<Exception>();
        var threads = Enumerable.Range(0, Threads).Select(i => new Thread(() =>
        {
            try
            {
                Worker(i);
            }
#pragma warning disable CA1031 // reported by the test
            catch (Exception ex)
#pragma warning restore CA1031
            {
                errors.Enqueue(ex);
                Interlocked.Increment(ref finished);
            }
        })
        { IsBackground = true, Name = $"stress-{i}" }).ToList();

        var watch = Stopwatch.StartNew();
        threads.ForEach(t => t.Start());
        var deadline = DateTime.UtcNow + DeadlockBound;
        foreach (var t in threads)
        {
            var left = deadline - DateTime.UtcNow;
            Assert.True(
                t.Join(left > TimeSpan.Zero ? left : TimeSpan.Zero),
                $"stress workers still running after {DeadlockBound.TotalSeconds} s: deadlock or livelock " +
                $"({Volatile.Read(ref finished)} of {Threads} finished)");
        }

        var runTime = watch.Elapsed;
        Assert.Empty(errors.Select(e => e.ToString()));

        // Shut down: unmount, tear the cache down, let every queued work item finish.
        server.ClearFaults();
        Guard.RunWithin(TimeSpan.FromSeconds(60), rm.Unmount, "shutdown");

        _output.WriteLine(
            $"{Threads * OpsPerThread} ops in {runTime.TotalSeconds:F1} s: lookups {counters.Lookups} " +
            $"(hits {counters.Hits}), by-dentry {counters.ByDentry} (hits {counters.ByDentryHits}), " +
            $"closes of held {counters.Closes}, rmdirs {counters.Rmdirs}, mkdirs {counters.Mkdirs}, " +
            $"breaks {counters.Breaks}, changes {counters.Changes}, reconnects {counters.Reconnects}, " +
            $"clock ticks {counters.ClockTicks}; server: {server.Handles().Count} handles, " +
            $"{server.LeasesGranted} leases, {server.BreaksDelivered} breaks delivered; " +
            $"{rm.Cfids.AllocatedEntries.Count} cache entries allocated");

        foreach (var f in failures.Take(20))
        {
            _output.WriteLine(f);
        }

        Assert.Empty(failures);

        // Every handle the server issued was closed exactly once (by the client, or dropped with
        // a lost connection and closed at most once afterwards), and none is left open.
        Assert.Empty(server.HandleProblems(requireAllClosed: true));
        Assert.Equal(0, server.OpenHandleCount);

        // Every entry was freed exactly once, with its count at zero; none was touched after.
        foreach (var cfid in rm.Cfids.AllocatedEntries)
        {
            Assert.True(cfid.FreeCount == 1, $"{cfid} freed {cfid.FreeCount} times");
            Assert.Equal(0, cfid.Refcount.Count);
        }

        Assert.Empty(rm.M.UnbalancedDentries());
        Assert.Equal(1, rm.Tcon.TcCount);
        Assert.True(server.Handles().Count > 1000, "the run should have opened many handles");
        Assert.True(counters.Hits > 1000 && counters.ByDentryHits > 100, "the run should have hit the cache");

        // No oops (use after free, refcount underflow, double free, crashed work) and, above all,
        // nothing slept under a spinlock.
        Guard.AssertKernelLogsClean();
    }
}
