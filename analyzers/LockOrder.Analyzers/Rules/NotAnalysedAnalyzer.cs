using System;
using System.Threading;
using LockOrder.Engine;
using LockOrder.Engine.Flow;
using LockOrder.Engine.Queries;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace LockOrder.Rules;

/// <summary>LOCK011 (hidden by default): a body over one of the engine's bounds, named with the bound, so that what
/// was not checked can be seen.</summary>
// Shipped inside BodyRulesAnalyzer, with the other per-body rules; a complete analyzer of its own for the tests.
#pragma warning disable RS1001 // No [DiagnosticAnalyzer]: the package's driver runs it through BodyRulesAnalyzer.
public sealed class NotAnalysedAnalyzer : LockRuleAnalyzer
{
    public NotAnalysedAnalyzer() : base(Descriptors.NotAnalysed)
    {
    }

    private protected override void Analyze(LockModel model, BodyFacts body, Action<Diagnostic> report, CancellationToken cancellationToken)
    {
        if (body.Incomplete is { } bound)
        {
            report(Messages.NotAnalysed(OperationLocations.OfOwner(body.Owner, body.RootSyntax), body.Owner, bound));
        }
    }
}
#pragma warning restore RS1001
