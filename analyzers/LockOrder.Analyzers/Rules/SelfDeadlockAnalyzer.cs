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

/// <summary>LOCK003: a non-reentrant lock class acquired while already held, here or in a callee; and two known,
/// different instances of one class nested (unless the table marks the class nestable).</summary>
// Shipped inside BodyRulesAnalyzer, with the other per-body rules; a complete analyzer of its own for the tests.
#pragma warning disable RS1001 // No [DiagnosticAnalyzer]: the package's driver runs it through BodyRulesAnalyzer.
public sealed class SelfDeadlockAnalyzer : LockRuleAnalyzer
{
    public SelfDeadlockAnalyzer() : base(Descriptors.SelfDeadlock)
    {
    }

    private protected override void Analyze(LockModel model, BodyFacts body, Action<Diagnostic> report, CancellationToken cancellationToken)
    {
        // The first held entry of the class per acquisition or call (and class), as the edges come in held order;
        // for a reader-writer lock, the first entry in a mode the new one may not join.
        var seen = new HashSet<(SyntaxNode, LockClass)>();
        foreach (var edge in OrderEdges.Of(model, body, cancellationToken))
        {
            var taken = edge.Taken;
            var at = OperationLocations.Of(edge.Site);
            if (edge.SameClass && taken.Api.HasModes && MayBeSameInstance(edge.Held.Instance, edge.TakenInstance))
            {
                if (LockModes.RecursionProblem(edge.Held.Mode, edge.TakenMode, taken.Reentrant) is { } problem && seen.Add((edge.Site, taken)))
                {
                    report(Messages.SelfDeadlock(at, taken, edge.Held, edge.Chain, problem));
                }

                continue;
            }

            if (!edge.SameClass || !seen.Add((edge.Site, edge.Taken)))
            {
                continue;
            }

            if (!edge.Chain.IsEmpty)
            {
                if (!taken.Reentrant)
                {
                    report(Messages.SelfDeadlock(at, taken, edge.Held, edge.Chain));
                }

                continue;
            }

            // Two known, different instances of one class (a parent then its child): a recursion question. Allowed
            // when the table marks the class nestable (lockdep's _nested); otherwise reported even for a reentrant
            // primitive, since another thread can nest them the other way round.
            if (edge.Held.Instance is { } heldInstance and not AccessPath.Stale && edge.TakenInstance is { } takenInstance && !heldInstance.Equals(takenInstance))
            {
                if (taken.Decl?.Nestable != true && !edge.OrderedAfterHeld)
                {
                    report(Messages.SelfDeadlockAcrossInstances(at, taken, edge.Held, takenInstance, heldInstance));
                }
            }
            else if (!taken.Reentrant)
            {
                report(Messages.SelfDeadlock(at, taken, edge.Held, Chain.Empty));
            }
        }
    }

    private static bool MayBeSameInstance(AccessPath? held, AccessPath? taken) => held is null || taken is null || held.Equals(taken);
}
#pragma warning restore RS1001
