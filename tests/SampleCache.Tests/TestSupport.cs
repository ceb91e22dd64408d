namespace SampleCache.Tests;

using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using SampleCache.Kernel;
using Xunit;
using Ref = SampleCache.Reference;
using SeedCache = SampleCache.Seed;

/// <summary>Everything one mount needs: module, server, connection, session, tcon, superblock.</summary>
internal sealed class TestMount : IDisposable
{
    public TestMount(int dirCacheTimeout = 30, int maxCachedDirs = 16, IEnumerable<string>? dirs = null)
    {
        Module = new CifsModule(new JiffiesClock(), dirCacheTimeout);
        Server = new SmbServer("share");
        Server.AddFileQuietly(string.Empty, "root.txt");
        foreach (var dir in dirs ?? new[] { "a", "a/b", "c" })
        {
            Assert.Equal(0, Server.CreateDirectory(dir, DefaultFiles(dir)));
        }

        TcpServer = new TcpServerInfo(Server);
        Ses = new CifsSes(TcpServer);
        Tcon = new CifsTcon(Ses, Server, Module) { MaxCachedDirs = maxCachedDirs };
        Sb = new CifsSbInfo(Tcon);
    }

    public CifsModule Module { get; }

    public SmbServer Server { get; }

    public TcpServerInfo TcpServer { get; }

    public CifsSes Ses { get; }

    public CifsTcon Tcon { get; }

    public CifsSbInfo Sb { get; }

    public JiffiesClock Clock => Module.Clock;

    public static IEnumerable<string> DefaultFiles(string dir)
    {
        string stem = dir.Replace('/', '_');
        return new[] { $"{stem}.1", $"{stem}.2", $"{stem}.3" };
    }

    /// <summary>Dentries whose count is not at rest.</summary>
    public IReadOnlyList<string> UnbalancedDentries() =>
        Sb.AllDentries().Where(d => d.RefCount != d.Baseline)
            .Select(d => $"dentry '{d}' count {d.RefCount}, expected {d.Baseline}").ToArray();

    public void Dispose()
    {
        Module.Dispose();
        Server.Dispose();
    }
}

internal static class SmbServerTestExtensions
{
    /// <summary>Adds a file while no client is attached (no lease can exist yet).</summary>
    public static void AddFileQuietly(this SmbServer server, string dir, string name) =>
        Assert.Equal(0, server.AddFile(dir, name));
}

/// <summary>A mount with the reference cache attached.</summary>
internal sealed class RefMount : IDisposable
{
    public RefMount(int dirCacheTimeout = 30, int maxCachedDirs = 16, IEnumerable<string>? dirs = null)
    {
        M = new TestMount(dirCacheTimeout, maxCachedDirs, dirs);
        Cfids = Ref.CachedDir.InitCachedDirs(M.Tcon);
        M.Server.LeaseBreakHandler = Ref.CachedDir.CachedDirLeaseBreak;
    }

    public TestMount M { get; }

    public Ref.CachedFids Cfids { get; }

    public SmbServer Server => M.Server;

    public CifsTcon Tcon => M.Tcon;

    public CifsSbInfo Sb => M.Sb;

    public int Open(string path, out Ref.CachedFid? cfid, bool lookupOnly = false) =>
        Ref.CachedDir.OpenCachedDir(M.Tcon, path, M.Sb, lookupOnly, out cfid);

    public Ref.CachedFid OpenOk(string path)
    {
        int rc = Open(path, out var cfid);
        Assert.Equal(0, rc);
        Assert.NotNull(cfid);
        return cfid!;
    }

    public int Entries => Ref.CachedDir.CountEntries(Cfids);

    /// <summary>Unmount: drop dentries, tear the cache down, let all work finish.</summary>
    public void Unmount()
    {
        Ref.CachedDir.CloseAllCachedDirs(M.Sb);
        M.Module.FlushAll();
        Ref.CachedDir.FreeCachedDirs(Cfids);
        M.Module.FlushAll();
    }

    /// <summary>Checks every invariant that must hold once the cache is torn down.</summary>
    public void AssertFullyReleased()
    {
        Assert.Empty(M.Server.HandleProblems(requireAllClosed: true));
        Assert.Empty(M.UnbalancedDentries());
        foreach (var cfid in Cfids.AllocatedEntries)
        {
            Assert.Equal(1, cfid.FreeCount);
            Assert.Equal(0, cfid.Refcount.Count);
        }

        Assert.Equal(1, M.Tcon.TcCount);
    }

    public void Dispose() => M.Dispose();
}

/// <summary>A mount with the seed (as posted) cache attached.</summary>
internal sealed class SeedMount : IDisposable
{
    public SeedMount(int dirCacheTimeout = 30, IEnumerable<string>? dirs = null)
    {
        M = new TestMount(dirCacheTimeout, 16, dirs);
        Cfids = SeedCache.CachedDir.InitCachedDirs(M.Tcon);
        M.Server.LeaseBreakHandler = SeedCache.CachedDir.CachedDirLeaseBreak;
    }

    public TestMount M { get; }

    public SeedCache.CachedFids Cfids { get; }

    public void Dispose() => M.Dispose();
}

internal static class Guard
{
    /// <summary>Runs <paramref name="body"/> on its own thread and fails instead of hanging.</summary>
    public static void RunWithin(TimeSpan limit, Action body, string what)
    {
        Exception? failure = null;
        var t = new Thread(() =>
        {
            try
            {
                body();
            }
#pragma warning disable CA1031 // reported to the test thread
            catch (Exception ex)
#pragma warning restore CA1031
            {
                failure = ex;
            }
        })
        { IsBackground = true, Name = what };
        t.Start();
        Assert.True(t.Join(limit), $"{what} did not finish within {limit.TotalSeconds} s (deadlock?)");
        if (failure is not null)
        {
            throw new InvalidOperationException($"{what} failed", failure);
        }
    }

    public static void ResetKernelLogs()
    {
        Kernel.ClearAtomicSleepViolations();
        Kernel.ClearOopses();
    }

    public static void AssertKernelLogsClean()
    {
        Assert.Empty(Kernel.Oopses);
        Assert.Empty(Kernel.AtomicSleepViolations.Select(v => v.ToString()));
    }
}

internal static class Repo
{
    /// <summary>A file of the repository, found from the test's base directory (the folder with LockOrder.sln).</summary>
    public static string File(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (System.IO.File.Exists(Path.Combine(dir.FullName, "LockOrder.sln")))
            {
                return Path.Combine(dir.FullName, relative);
            }
        }

        throw new InvalidOperationException("repository root not found from " + AppContext.BaseDirectory);
    }
}
