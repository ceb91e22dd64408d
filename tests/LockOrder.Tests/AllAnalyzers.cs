using System;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis.Diagnostics;

namespace LockOrder.Tests;

/// <summary>Every analyzer LockOrder ships, found by reflection: a test that means "all rules" uses this, so a new
/// rule cannot be forgotten in a hand-kept list.</summary>
internal static class AllAnalyzers
{
    public static readonly ImmutableArray<Type> Types = typeof(RuleIds).Assembly.GetTypes()
        .Where(t => !t.IsAbstract && typeof(DiagnosticAnalyzer).IsAssignableFrom(t) && t.GetCustomAttributes(typeof(DiagnosticAnalyzerAttribute), false).Length > 0)
        .OrderBy(t => t.FullName, StringComparer.Ordinal)
        .ToImmutableArray();

    public static ImmutableArray<DiagnosticAnalyzer> Create() => Types.Select(t => (DiagnosticAnalyzer)Activator.CreateInstance(t)!).ToImmutableArray();
}
