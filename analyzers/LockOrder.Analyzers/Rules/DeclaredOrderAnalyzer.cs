using System;
using System.Collections.Generic;
using System.Threading;
using LockOrder.Engine;
using LockOrder.Engine.Flow;
using LockOrder.Engine.Model;
using LockOrder.Engine.Queries;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace LockOrder.Rules;

/// <summary>
/// LOCK001: a lock acquired while a lock below it in the table is held, in this body or in anything it calls
/// (reported at the call, with the path). A sleeping lock that may wait, taken under a spinlock, is LOCK002's.
/// </summary>
// Shipped inside BodyRulesAnalyzer, with the other per-body rules; a complete analyzer of its own for the tests.
#pragma warning disable RS1001 // No [DiagnosticAnalyzer]: the package's driver runs it through BodyRulesAnalyzer.
public sealed class DeclaredOrderAnalyzer : LockRuleAnalyzer
{
    public DeclaredOrderAnalyzer() : base(Descriptors.OutOfOrder)
    {
    }

    private protected override bool IsEnabled(LockModel model) => model.HasTable;

    private protected override void Analyze(LockModel model, BodyFacts body, Action<Diagnostic> report, CancellationToken cancellationToken)
    {
        var reported = new HashSet<(SyntaxNode, LockClass, LockClass)>();
        foreach (var edge in OrderEdges.Of(model, body, cancellationToken))
        {
            if (edge.OutOfOrder is var (taken, holding) && reported.Add((edge.Site, edge.Taken, edge.Held.Class)))
            {
                report(Messages.OutOfOrder(OperationLocations.Of(edge.Site), taken, edge.Held, holding, edge.Chain));
            }
        }
    }
}
#pragma warning restore RS1001
