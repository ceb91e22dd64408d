using System;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace LockOrder.Rules;

/// <summary>
/// Whether a rule of the shipped bundle (<see cref="BodyRulesAnalyzer"/>) can report anything in a compilation. The
/// driver skips an analyzer all of whose rules are off, but the per-body rules ship as one analyzer, so a rule that is
/// off (LOCK009 by default, any rule set to <c>none</c>) would still be computed on every body and its findings dropped
/// afterwards. A rule is skipped only when, for every tree, the settings the compiler reads say it is off there:
/// <list type="bullet">
/// <item>the compilation's own options (<c>/nowarn</c>, <c>/warnaserror</c>, a rule set, <c>NoWarn</c>);</item>
/// <item><c>dotnet_diagnostic.ID.severity</c> in a global config or in an .editorconfig section of the tree;</item>
/// <item>the bulk settings <c>dotnet_analyzer_diagnostic.category-CATEGORY.severity</c> and
/// <c>dotnet_analyzer_diagnostic.severity</c>, which the compiler applies only to a rule that is on by default and
/// has no setting of its own in the compilation's options or the tree's (Roslyn's
/// <c>AnalyzerOptionsExtensions.TryGetSeverityFromBulkConfiguration</c>): they can turn such a rule off or keep it
/// on, never turn on a rule that is off by default.</item>
/// </list>
/// Where this reads the settings more loosely than the compiler (a setting of its own anywhere but <c>none</c>, a bulk
/// value it does not know), it says the rule may report: a rule skipped that should have reported would be a finding
/// lost, a rule run for nothing only costs time.
/// </summary>
internal static class RuleSwitch
{
    private const string BulkKey = "dotnet_analyzer_diagnostic.severity";

    public static bool MayReport(DiagnosticDescriptor rule, Compilation compilation, AnalyzerOptions options, CancellationToken cancellationToken)
    {
        var compilationOptions = compilation.Options;
        var treeOptions = compilationOptions.SyntaxTreeOptionsProvider;
        bool specified = compilationOptions.SpecificDiagnosticOptions.TryGetValue(rule.Id, out var specific);
        if (specified && specific != ReportDiagnostic.Suppress)
        {
            return true;
        }

        bool globallyOff = false;
        if (treeOptions is not null && treeOptions.TryGetGlobalDiagnosticValue(rule.Id, cancellationToken, out var global))
        {
            if (global != ReportDiagnostic.Suppress)
            {
                return true;
            }

            globallyOff = true;
        }

        var categoryKey = "dotnet_analyzer_diagnostic.category-" + rule.Category + ".severity";
        foreach (var tree in compilation.SyntaxTrees)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (treeOptions is not null && treeOptions.TryGetDiagnosticValue(tree, rule.Id, cancellationToken, out var value))
            {
                if (value != ReportDiagnostic.Suppress)
                {
                    return true;
                }
            }
            else if (!specified && rule.IsEnabledByDefault && Bulk(options.AnalyzerConfigOptionsProvider.GetOptions(tree), categoryKey) is { } bulk)
            {
                if (!IsNone(bulk))
                {
                    return true;
                }
            }
            else if (!specified && !globallyOff && rule.IsEnabledByDefault)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The bulk setting for a rule of the category: the category's own, else the one for all rules.</summary>
    private static string? Bulk(AnalyzerConfigOptions options, string categoryKey)
        => options.TryGetValue(categoryKey, out var category) ? category
           : options.TryGetValue(BulkKey, out var all) ? all
           : null;

    private static bool IsNone(string value) => string.Equals(value.Trim(), "none", StringComparison.OrdinalIgnoreCase);
}
