using System;
using System.Collections.Concurrent;
using System.Linq;
using System.Threading;
using LockOrder.Engine;
using LockOrder.Engine.Flow;
using LockOrder.Engine.Queries;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace LockOrder.Rules;

/// <summary>
/// LOCK008: lock-order cycles inferred from the code, lockdep-style. Each cycle is one finding, reported once (as
/// lockdep reports a cycle once and Infer deduplicates a deadlock's two traces), at the first of its edges in source
/// order, naming every edge; the other edges' sites are additional locations.
/// Per-body edges (between two classes) are collected live from the shared order-edge query; the cycle search
/// alone runs at compilation end. A cycle whose locks the table all orders is LOCK001's and is not reported again.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class LockCycleAnalyzer : LockRuleAnalyzer
{
    public LockCycleAnalyzer() : base(Descriptors.OrderCycle)
    {
    }

    private protected override bool IsEnabled(LockModel model) => Cycles.Enabled(model);

    /// <summary>A cycle is reported at compilation end, at one of its edges' sites, not inside a block the driver gave:
    /// the driver still checks that site for generated code.</summary>
    private protected override Microsoft.CodeAnalysis.Diagnostics.GeneratedCodeAnalysisFlags GeneratedCode => Microsoft.CodeAnalysis.Diagnostics.GeneratedCodeAnalysisFlags.None;

    private protected override CompilationRun Start(LockModel model) => new Run(model);

    /// <summary>The edge a cycle is reported at: the first of its sites in source order (file, then position).</summary>
    private static int FirstInSource(System.Collections.Generic.IReadOnlyList<LockEdge> cycle)
    {
        int first = 0;
        for (int i = 1; i < cycle.Count; i++)
        {
            var (a, b) = (cycle[i].Site, cycle[first].Site);
            int byFile = string.CompareOrdinal(a.SourceTree?.FilePath, b.SourceTree?.FilePath);
            if (byFile < 0 || byFile == 0 && a.SourceSpan.Start < b.SourceSpan.Start)
            {
                first = i;
            }
        }

        return first;
    }

    private sealed class Run : CompilationRun
    {
        private readonly LockModel _model;
        private readonly ConcurrentBag<LockEdge> _edges = new();

        public Run(LockModel model) => _model = model;

        public override bool HasEnd => true;

        public override void Body(BodyFacts body, Action<Diagnostic> report, CancellationToken cancellationToken)
        {
            foreach (var edge in OrderEdges.Of(_model, body, cancellationToken))
            {
                if (!edge.SameClass)
                {
                    _edges.Add(LockEdge.Of(edge));
                }
            }
        }

        public override void End(Action<Diagnostic> report, CancellationToken cancellationToken)
        {
            foreach (var cycle in Cycles.Reported(_model, _edges))
            {
                cancellationToken.ThrowIfCancellationRequested();
                report(Messages.OrderCycle(cycle, FirstInSource(cycle)));
            }
        }
    }
}
