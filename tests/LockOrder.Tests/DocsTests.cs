using System;
using System.IO;
using System.Linq;
using System.Text;
using LockOrder.Engine.Knowledge;
using Microsoft.CodeAnalysis;
using Xunit;

namespace LockOrder.Tests;

/// <summary>
/// Docs that are generated or checked, never copied by hand: the README's rule table comes from the descriptors,
/// LOCK002's catalog list from the blocking catalog and the lock APIs, and each page's header states its rule's
/// default severity and category. A test fails when they drift; run the tests with LOCKORDER_UPDATE_DOCS=1 to
/// rewrite the generated sections (then review the diff).
/// </summary>
public class DocsTests
{
    private static readonly DiagnosticDescriptor[] Descriptors = AllAnalyzers.Create().SelectMany(a => a.SupportedDiagnostics).OrderBy(d => d.Id, StringComparer.Ordinal).ToArray();

    [Fact]
    public void ReadmeRuleTable_IsTheDescriptors()
    {
        var table = new StringBuilder("| Rule | What | Default |\n|---|---|---|\n");
        foreach (var d in Descriptors)
        {
            table.Append($"| [{d.Id}](docs/rules/{d.Id}.md) | {d.Title} | {Severity(d)} |\n");
        }

        GeneratedSection("README.md", "rules", table.ToString());
    }

    [Fact]
    public void Lock002Catalog_IsTheBlockingCatalogAndTheLockApis()
    {
        var text = new StringBuilder();
        foreach (var api in BlockingCatalog.BuiltIn)
        {
            var type = api.Type.Substring(api.Type.LastIndexOf('.') + 1) + (api.PropertiesOfArity is { } arity ? "<" + string.Join(", ", Enumerable.Repeat("T", arity)) + ">" : "");
            var members = api.EveryMethod ? "every method" : string.Join(", ", api.Members.Select(m => $"`{m}`"));
            text.Append($"- `{type}`{(api.AndDerived ? " and derived types" : "")}: {members}{(api.PropertiesOfArity is null ? "" : " (property)")}\n");
        }

        text.Append("\nAcquiring a lock that may sleep is judged by its kind, from these primitives (and the table's `primitives`):\n\n");
        foreach (var api in LockApi.BuiltIn.Where(a => a.Members.Any(m => m.Op != LockOp.Release)))
        {
            text.Append($"- `{api.Type.Substring(api.Type.LastIndexOf('.') + 1)}`: {api.Kind.ToString().ToLowerInvariant()}{(api.Spins ? ", spins (never sleeps)" : "")}{(api.Reentrant ? ", reentrant" : "")}\n");
        }

        GeneratedSection("docs/rules/LOCK002.md", "catalog", text.ToString());
    }

    [Fact]
    public void EveryRelativeLinkInTheDocs_Resolves()
    {
        var root = LockTableTests.RepoFile(".");
        var pages = new[] { Path.Combine(root, "README.md") }.Concat(Directory.GetFiles(Path.Combine(root, "docs"), "*.md", SearchOption.AllDirectories));
        var broken = (
            from page in pages
            from System.Text.RegularExpressions.Match link in System.Text.RegularExpressions.Regex.Matches(File.ReadAllText(page), @"\]\(([^)\s]+)\)")
            let target = link.Groups[1].Value.Split('#')[0]
            where target.Length > 0 && !target.Contains("://", StringComparison.Ordinal)
            where !File.Exists(Path.Combine(Path.GetDirectoryName(page)!, target)) && !Directory.Exists(Path.Combine(Path.GetDirectoryName(page)!, target))
            select Path.GetRelativePath(root, page) + " -> " + link.Groups[1].Value).ToList();
        Assert.True(broken.Count == 0, string.Join("\n", broken));
    }

    [Fact]
    public void EveryPageHeader_StatesItsRulesSeverityAndCategory()
    {
        foreach (var d in Descriptors)
        {
            var header = string.Join(" ", File.ReadLines(LockTableTests.RepoFile($"docs/rules/{d.Id}.md")).Skip(2).TakeWhile(l => l.Length > 0));
            Assert.StartsWith("Severity: " + (d.IsEnabledByDefault ? Severity(d) : "**off by default**"), header, StringComparison.Ordinal);
            Assert.Contains($"Category: `{d.Category}`", header, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void EveryPage_SaysWhichCodeFixItOffers_AndEveryFixableRuleHasOne()
    {
        var fixable = typeof(LockOrder.CodeFixes.DeferPastUnlockFix).Assembly.GetTypes()
            .Where(t => !t.IsAbstract && typeof(Microsoft.CodeAnalysis.CodeFixes.CodeFixProvider).IsAssignableFrom(t))
            .SelectMany(t => ((Microsoft.CodeAnalysis.CodeFixes.CodeFixProvider)Activator.CreateInstance(t)!).FixableDiagnosticIds).ToHashSet();
        foreach (var d in Descriptors)
        {
            var page = File.ReadAllText(LockTableTests.RepoFile($"docs/rules/{d.Id}.md"));
            int at = page.IndexOf("\n## Code fix\n", StringComparison.Ordinal);
            Assert.True(at >= 0, d.Id + " has no 'Code fix' section");
            var section = page.Substring(at + 14).TrimStart();
            Assert.True(fixable.Contains(d.Id) != section.StartsWith("None", StringComparison.Ordinal), d.Id + ": the page and the fix providers disagree");
        }
    }

    [Fact]
    public void EveryPage_ShowsHowToSuppressItsRule()
    {
        foreach (var d in Descriptors)
        {
            GeneratedSection($"docs/rules/{d.Id}.md", "suppression", Suppression(d));
        }
    }

    /// <summary>The three ways to silence a rule, or, for a rule reported outside C# source (in lockorder.json, or
    /// without a location), the ways that reach it.</summary>
    private static string Suppression(DiagnosticDescriptor d)
    {
        var everywhere = $"Everywhere, in `.editorconfig` (or `<NoWarn>$(NoWarn);{d.Id}</NoWarn>` in a project file):\n\n```ini\n[*.cs]\ndotnet_diagnostic.{d.Id}.severity = none\n```\n";
        if (d.Category == "LockOrder.Table")
        {
            return $"{d.Id} is reported in `lockorder.json` or without a location, where `#pragma` and `[SuppressMessage]` do not reach: fix what it names, or set its severity.\n\n" + everywhere;
        }

        if (d.Category == "LockOrder.Configuration")
        {
            return $"{d.Id} is about a setting, not about code: fix the value it names, or set its severity.\n\n" + everywhere;
        }

        return "At one place, with the reason:\n\n```csharp\n"
            + $"#pragma warning disable {d.Id} // why this is safe here\n...\n#pragma warning restore {d.Id}\n\n"
            + $"[System.Diagnostics.CodeAnalysis.SuppressMessage(\"{d.Category}\", \"{d.Id}\", Justification = \"why this is safe\")]\nvoid Method() {{ ... }}\n```\n\n"
            + everywhere;
    }

    private static string Severity(DiagnosticDescriptor d) => !d.IsEnabledByDefault ? "off" : d.DefaultSeverity switch
    {
        DiagnosticSeverity.Error => "error",
        DiagnosticSeverity.Warning => "warning",
        DiagnosticSeverity.Info => "info",
        _ => "hidden",
    };

    /// <summary>Compares the text between <c>&lt;!-- name:begin --&gt;</c> and <c>&lt;!-- name:end --&gt;</c> with
    /// what it should be; with LOCKORDER_UPDATE_DOCS=1, rewrites it instead.</summary>
    private static void GeneratedSection(string relativePath, string name, string expected)
    {
        var path = LockTableTests.RepoFile(relativePath);
        var text = File.ReadAllText(path).Replace("\r\n", "\n", StringComparison.Ordinal);
        string begin = $"<!-- {name}:begin (generated by DocsTests; do not edit by hand) -->\n", end = $"<!-- {name}:end -->";
        int start = text.IndexOf(begin, StringComparison.Ordinal);
        int stop = text.IndexOf(end, StringComparison.Ordinal);
        Assert.True(start >= 0 && stop > start, $"{relativePath} has no generated '{name}' section ({begin.Trim()} ... {end})");
        var actual = text.Substring(start + begin.Length, stop - start - begin.Length);
        if (actual != expected && Environment.GetEnvironmentVariable("LOCKORDER_UPDATE_DOCS") == "1")
        {
            File.WriteAllText(path, text.Substring(0, start + begin.Length) + expected + text.Substring(stop));
            return;
        }

        Assert.Equal(expected, actual);
    }
}
