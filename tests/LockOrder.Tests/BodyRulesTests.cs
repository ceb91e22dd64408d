using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using LockOrder.Rules;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Xunit;

namespace LockOrder.Tests;

/// <summary>
/// The per-body rules ship inside one analyzer (<see cref="BodyRulesAnalyzer"/>), so that the analyzer driver's
/// cost per code block is paid once, not once per rule. It must report exactly what the rules report each on its
/// own (how their tests run them), on the seed port, the reference and the corpus; and every rule id must be
/// shipped by exactly one analyzer the package exposes.
/// </summary>
public class BodyRulesTests
{
    [Theory]
    [InlineData("SampleCache.Seed")]
    [InlineData("SampleCache.Reference")]
    [InlineData("Corpus")]
    public async Task Together_they_report_what_each_reports_alone(string source)
    {
        var compilation = OnePassTests.Compile(source);
        var table = File.ReadAllText(LockTableTests.RepoFile("lockorder.json"));
        var together = Write(await RawAnalysis.Run(compilation, table, new BodyRulesAnalyzer()));
        var alone = new List<string>();
        foreach (var rule in BodyRulesAnalyzer.Rules)
        {
            alone.AddRange(Write(await RawAnalysis.Run(compilation, table, (DiagnosticAnalyzer)System.Activator.CreateInstance(rule.GetType())!)));
        }

        alone.Sort(System.StringComparer.Ordinal);
        Assert.Equal(alone, together);
        Assert.DoesNotContain(together, d => d.StartsWith("AD0001", System.StringComparison.Ordinal));
        if (source == "SampleCache.Seed")
        {
            Assert.Contains(together, d => d.StartsWith("LOCK001", System.StringComparison.Ordinal));
            Assert.Contains(together, d => d.StartsWith("LOCK002", System.StringComparison.Ordinal));
        }
    }

    [Fact]
    public void Every_rule_id_is_shipped_by_exactly_one_analyzer()
    {
        var shipped = AllAnalyzers.Create().SelectMany(a => a.SupportedDiagnostics.Select(d => d.Id)).ToList();
        Assert.Equal(shipped.Distinct().Count(), shipped.Count);
        var ids = typeof(RuleIds).GetFields().Where(f => f.IsLiteral).Select(f => (string)f.GetRawConstantValue()!).ToList();
        Assert.Equal(ids.OrderBy(i => i), shipped.OrderBy(i => i));
        Assert.Contains(typeof(BodyRulesAnalyzer), AllAnalyzers.Types);
        Assert.DoesNotContain(typeof(ProtectedMemberAnalyzer), AllAnalyzers.Types);
    }

    private static List<string> Write(IEnumerable<Diagnostic> diagnostics)
        => diagnostics.Select(d => $"{d.Id} {Path.GetFileName(d.Location.SourceTree?.FilePath ?? d.Location.GetLineSpan().Path)}{d.Location.SourceSpan} {d.GetMessage()}")
            .OrderBy(s => s, System.StringComparer.Ordinal).ToList();
}
