using System;
using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Linq;
using LockOrder.Engine;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace LockOrder.Rules;

/// <summary>
/// LOCK008: lock-order cycles inferred from the code, lockdep-style, reported once per cycle at each of its
/// edges. Per-body edges are collected live from the shared engine facts; the cycle search alone runs at
/// compilation end. A cycle whose locks the table all orders is LOCK001's and is not reported again.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class LockCycleAnalyzer : DiagnosticAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Descriptors.OrderCycle);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            var model = LockModel.For(start.Compilation, start.Options, start.CancellationToken);
            var edges = new ConcurrentBag<LockEdge>();
            start.RegisterOperationBlockAction(block =>
            {
                var first = LockModel.BodyBlock(block.OperationBlocks);
                if (first is null)
                {
                    return;
                }

                foreach (var body in model.GetFacts(block.OwningSymbol, first, block.CancellationToken).Bodies)
                {
                    foreach (var edge in LockGraph.EdgesOf(model, body, block.CancellationToken))
                    {
                        edges.Add(edge);
                    }
                }
            });
            start.RegisterCompilationEndAction(end =>
            {
                foreach (var cycle in LockGraph.Cycles(edges))
                {
                    end.CancellationToken.ThrowIfCancellationRequested();
                    if (model.HasTable && cycle.All(e => e.From.Decl is not null && e.To.Decl is not null))
                    {
                        continue;
                    }

                    for (int i = 0; i < cycle.Count; i++)
                    {
                        end.ReportDiagnostic(Create(cycle, i));
                    }
                }
            });
        });
    }

    private static Diagnostic Create(System.Collections.Generic.List<LockEdge> cycle, int here)
    {
        var edge = cycle[here];
        string locks = string.Join(" -> ", cycle.Select(e => e.From.Display).Concat(new[] { cycle[0].From.Display }));
        var parts = new System.Collections.Generic.List<string>
        {
            $"here {edge.To.Display} is acquired while {edge.From.Display} is held{edge.Via}",
        };
        for (int k = 1; k < cycle.Count; k++)
        {
            var other = cycle[(here + k) % cycle.Count];
            parts.Add($"at {other.Where} {other.To.Display} is acquired while {other.From.Display} is held{other.Via}");
        }

        string interleaving = string.Join("; ", cycle.Select((e, k) => $"thread {k + 1} holds {e.From.Display} and waits for {e.To.Display}"));
        var additional = cycle.Where((_, k) => k != here).Select(e => e.Site).Concat(new[] { edge.HeldSite });
        return Diagnostic.Create(Descriptors.OrderCycle, edge.Site, additional, locks, string.Join("; ", parts), interleaving);
    }
}
