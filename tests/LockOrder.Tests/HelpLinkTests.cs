using System;
using System.IO;
using System.Linq;
using Microsoft.CodeAnalysis.Diagnostics;
using Xunit;

namespace LockOrder.Tests;

/// <summary>Every rule has a help link to its own page under docs/rules, and every page belongs to a rule.</summary>
public class HelpLinkTests
{
    private static readonly System.Collections.Immutable.ImmutableArray<DiagnosticAnalyzer> Analyzers = AllAnalyzers.Create();

    [Fact]
    public void EveryHelpLinkResolvesToItsRulePage()
    {
        // One descriptor per rule id of RuleIds, no more and no fewer.
        var descriptors = Analyzers.SelectMany(a => a.SupportedDiagnostics).ToList();
        Assert.Equal(typeof(RuleIds).GetFields().Select(f => (string)f.GetValue(null)!).OrderBy(i => i), descriptors.Select(d => d.Id).OrderBy(i => i));
        foreach (var d in descriptors)
        {
            Assert.EndsWith("/docs/rules/" + d.Id + ".md", d.HelpLinkUri, StringComparison.Ordinal);
            var page = LockTableTests.RepoFile("docs/rules/" + d.Id + ".md");
            Assert.True(File.Exists(page), "missing page " + page);
            Assert.StartsWith("# " + d.Id + ": ", File.ReadLines(page).First(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void HelpLinksPointAtTheRepositoryUrlSetOnceInDirectoryBuildProps()
    {
        var props = System.Xml.Linq.XDocument.Load(LockTableTests.RepoFile("Directory.Build.props"));
        var url = props.Descendants("LockOrderRepositoryUrl").Single().Value;
        Assert.StartsWith("https://", url, StringComparison.Ordinal);
        Assert.All(Analyzers.SelectMany(a => a.SupportedDiagnostics), d => Assert.Equal(url + "/blob/main/docs/rules/" + d.Id + ".md", d.HelpLinkUri));
    }

    [Fact]
    public void EveryPageBelongsToARule_AndEveryIdHasOneDescriptor()
    {
        var ids = Analyzers.SelectMany(a => a.SupportedDiagnostics).Select(d => d.Id).ToList();
        var pages = Directory.GetFiles(LockTableTests.RepoFile("docs/rules"), "*.md").Select(Path.GetFileNameWithoutExtension).ToList();
        Assert.Equal(ids.Distinct().OrderBy(i => i), pages.OrderBy(p => p));
        var constants = typeof(RuleIds).GetFields().Select(f => (string)f.GetValue(null)!).OrderBy(i => i);
        Assert.Equal(constants, ids.Distinct().OrderBy(i => i));
    }
}
