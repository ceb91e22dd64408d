using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using LockOrder.Cli.Graph;
using Xunit;

namespace LockOrder.Cli.Tests.Graph;

/// <summary>The sample cache's two ports, each loaded once through MSBuildWorkspace (slow) with the repository's
/// lockorder.json, as `lockorder graph` loads them.</summary>
public sealed class SampleCacheFixture : IAsyncLifetime
{
    public static string RepoRoot { get; } = FindRoot();

    public LockGraph Seed { get; private set; } = null!;

    public LockGraph Reference { get; private set; } = null!;

    public List<string> Warnings { get; } = new();

    public async Task InitializeAsync()
    {
        Seed = await Load("sample-cache/SampleCache.Seed/SampleCache.Seed.csproj");
        Reference = await Load("sample-cache/SampleCache.Reference/SampleCache.Reference.csproj");
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private async Task<LockGraph> Load(string project)
    {
        var path = Path.Combine(RepoRoot, project);
        var projects = await ProjectLoader.LoadAsync(path, Warnings.Add, CancellationToken.None);
        return GraphCommand.Build(project, RepoRoot, projects, null, Warnings.Add, CancellationToken.None);
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "LockOrder.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("LockOrder.sln not found above " + AppContext.BaseDirectory);
    }
}

public class SampleCacheGraphTests : IClassFixture<SampleCacheFixture>
{
    private readonly SampleCacheFixture _fixture;

    public SampleCacheGraphTests(SampleCacheFixture fixture) => _fixture = fixture;

    /// <summary>The (held, taken) pairs of the LOCK001 lines of expected-findings.txt ("taken; held ...").</summary>
    private static HashSet<(string Held, string Taken)> ExpectedForbidden()
        => File.ReadLines(Path.Combine(SampleCacheFixture.RepoRoot, "sample-cache/SampleCache.Seed/expected-findings.txt"))
            .Select(l => l.Split('#')[0].Trim())
            .Where(l => l.Split(' ').ElementAtOrDefault(1) == "LOCK001")
            .Select(l => l.Substring(l.IndexOf("LOCK001", StringComparison.Ordinal) + "LOCK001".Length).Split(';'))
            .Select(p => (Held: p[1].Trim().Split(' ')[0], Taken: p[0].Trim()))
            .ToHashSet();

    private static HashSet<(string Held, string Taken)> Forbidden(LockGraph graph)
        => graph.OfKind(EdgeKind.Forbidden).Select(e => (graph.Node(e.From).Name, graph.Node(e.To).Name)).ToHashSet();

    [Fact]
    public void SeedGraph_HasExactlyTheForbiddenEdgesOfItsExpectedFindings()
    {
        var expected = ExpectedForbidden();
        Assert.Equal(2, expected.Count);
        Assert.Equal(expected.OrderBy(p => p.Taken), Forbidden(_fixture.Seed).OrderBy(p => p.Taken));
    }

    [Fact]
    public void SeedGraph_HasTheSleepsOfFindings1And2And4_AndTheDeclaredSpine()
    {
        var graph = _fixture.Seed;
        var sleeps = graph.OfKind(EdgeKind.Sleep).Select(e => (graph.Node(e.From).Name, graph.Node(e.To).Name)).ToHashSet();
        Assert.Contains(("cached_fid->fid_lock", "Dentry.Put"), sleeps);
        Assert.Contains(("cached_fid->fid_lock", "Vfs.PathToDentry"), sleeps);
        Assert.Contains(("cached_fid->fid_lock", "Kref.Put"), sleeps);
        var rows = graph.Nodes.Where(n => n.IsDeclared).OrderBy(n => n.Row).ToList();
        Assert.Equal(rows.Count - 1, graph.OfKind(EdgeKind.Declared).Count());
        Assert.All(graph.OfKind(EdgeKind.Declared), e => Assert.Equal(graph.Node(e.From).Row + 1, graph.Node(e.To).Row));
        var laundromat = graph.OfKind(EdgeKind.Forbidden).Single(e => graph.Node(e.To).Name == "cifs_tcp_ses_lock");
        Assert.Equal(("sample-cache/SampleCache.Seed/CachedDir.cs", 694), (laundromat.Witness.File, laundromat.Witness.Line));
    }

    [Fact]
    public void ReferenceGraph_HasNoForbiddenCycleOrSleepEdge_ButTakesLocks()
    {
        var graph = _fixture.Reference;
        Assert.Empty(graph.OfKind(EdgeKind.Forbidden));
        Assert.Empty(graph.OfKind(EdgeKind.Cycle));
        Assert.Empty(graph.OfKind(EdgeKind.Sleep));
        Assert.NotEmpty(graph.OfKind(EdgeKind.Ordinary));
    }

    /// <summary>The graphs the README shows are what the command draws today, in every format (regenerate them with
    /// the commands in README.md when this fails).</summary>
    [Theory]
    [InlineData("seed", "json")]
    [InlineData("seed", "dot")]
    [InlineData("seed", "mmd")]
    [InlineData("seed", "svg")]
    [InlineData("reference", "json")]
    [InlineData("reference", "dot")]
    [InlineData("reference", "mmd")]
    [InlineData("reference", "svg")]
    public void The_committed_graphs_are_current(string port, string extension)
    {
        var graph = port == "seed" ? _fixture.Seed : _fixture.Reference;
        var format = extension switch { "mmd" => "mermaid", _ => extension };
        var committed = File.ReadAllText(Path.Combine(SampleCacheFixture.RepoRoot, "docs", "graphs", $"{port}.{extension}"));
        Assert.Equal(Normalise(committed), Normalise(GraphCommand.Write(graph, format)));
    }

    private static string Normalise(string text) => text.Replace("\r\n", "\n", StringComparison.Ordinal).TrimEnd();
}
